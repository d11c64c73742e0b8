"""What the Lifecycle page shows: whether the experiment runs, who recruits, and how far it got."""

from dataclasses import dataclass

from django.conf import settings

from dashboard.configuration.rows import readable_source
from experiments import runtime
from experiments.services.lifecycle import experiment_launched, participant_status_counts
from recruitment.base import RecruiterError
from recruitment.recruiters import from_config


@dataclass(frozen=True)
class LifecycleState:
    """The experiment's state as the page shows it."""

    experiment_name: str
    mode: str
    launched: bool
    recruiter: str
    recruiter_problem: str
    recruiter_status: dict
    auto_recruit: bool
    auto_recruit_source: str
    participants: list
    participant_total: int


def lifecycle_state() -> LifecycleState:
    """Read the state now. Nothing is set up or asked of a platform: the recruiter is built
    from the configuration and tells only what this database knows."""
    loaded = runtime.active()
    config = loaded.config
    nickname, problem, status = "", "", {}
    try:
        recruiter = from_config(config, base_url=settings.DALLINGER_BASE_URL)
        nickname, status = recruiter.nickname, recruiter.status_summary() or {}
    except RecruiterError as error:
        problem = str(error)
    counts = participant_status_counts()
    return LifecycleState(
        experiment_name=loaded.name,
        mode=config.get("mode"),
        launched=experiment_launched(),
        recruiter=nickname,
        recruiter_problem=problem,
        recruiter_status=status,
        auto_recruit=bool(config.get("auto_recruit")),
        auto_recruit_source=readable_source(config.source_of("auto_recruit")),
        participants=counts,
        participant_total=sum(count for _, count in counts),
    )
