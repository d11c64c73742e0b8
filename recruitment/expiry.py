"""Expiring recruitment: stopping (or pausing) the experiment's Prolific study, so nobody new
can take part. What `manage.py expire` and the dashboard's Lifecycle page both do."""

from dataclasses import dataclass

from recruitment.base import RecruiterError
from recruitment.models import ProlificStudy
from recruitment.prolific.recruiter import ProlificRecruiter
from recruitment.prolific.study import study_status_set

#: Study statuses each action can leave (Prolific refuses the others), and where it ends.
ACTIONS = {
    "STOP": {"from": {"ACTIVE", "PAUSED", "AWAITING REVIEW"}, "done": {"COMPLETED"}},
    "PAUSE": {"from": {"ACTIVE"}, "done": {"PAUSED"}},
}


@dataclass(frozen=True)
class StudyExpiry:
    """What expiring would do: the study as Prolific reports it now, and the change asked for."""

    study_id: str
    name: str
    status: str
    pause: bool = False

    @property
    def action(self) -> str:
        return "PAUSE" if self.pause else "STOP"

    @property
    def verb(self) -> str:
        return "pause" if self.pause else "stop"

    @property
    def already_done(self) -> bool:
        """Whether the study is already where the action would leave it (nothing to do)."""
        return self.status in ACTIONS[self.action]["done"]

    @property
    def description(self) -> str:
        """`stop Prolific study <id> (<name>, now ACTIVE)`."""
        return f"{self.verb} Prolific study {self.study_id} ({self.name}, now {self.status})"

    @property
    def warning(self) -> str:
        """What the experimenter must know before confirming."""
        if self.pause:
            return "Paused, it takes nobody new until resumed in the Prolific web app."
        return "Stopping is irreversible: the study can never take participants again."


def expiry_plan(*, recruiter, study_id: str | None = None, pause: bool = False) -> StudyExpiry:
    """What expiring `study_id` (default: the experiment's study) would do, from Prolific's
    current answer. RecruiterError when the recruiter has no study to act on, or the study's
    status cannot be left that way; nothing is changed either way."""
    if not isinstance(recruiter, ProlificRecruiter):
        raise RecruiterError(
            f"Expiring acts on a Prolific study; the {recruiter.nickname or 'configured'} recruiter has none."
        )
    study_id = study_id or recruiter.study_id
    if not study_id:
        raise RecruiterError("This experiment has no Prolific study yet (it is created when recruitment opens).")
    found = recruiter.client.get_study(study_id)
    plan = StudyExpiry(study_id=study_id, name=found.get("name", ""), status=found.get("status", ""), pause=pause)
    if not plan.already_done and plan.status not in ACTIONS[plan.action]["from"]:
        ending = "d" if pause else "ped"
        raise RecruiterError(f"Prolific study {study_id} ({plan.name}) is {plan.status}: it cannot be {plan.verb}{ending}.")
    return plan


def study_expire(*, recruiter, plan: StudyExpiry) -> str:
    """Carry out `plan` (which must not be `already_done`) and record the study's new status; returns it."""
    changed = recruiter.client.transition_study(plan.study_id, plan.action)
    new_status = (changed or {}).get("status", "")
    row = ProlificStudy.objects.filter(study_id=plan.study_id).first()
    if row is not None:
        study_status_set(row, new_status)
    return new_status
