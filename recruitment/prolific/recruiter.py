"""The Prolific recruiter (`prolific`) and its debug stand-in (`devprolific`).

The study lives on Prolific; its id is kept in the database (`ProlificStudy`, one per
experiment id), so every web process and worker, and a restarted one, finds it. Payouts go
through the payment ledger (`send_payment`): the base payment is Prolific's approval of the
submission, a bonus is Prolific's two-step bonus (set up, then pay), each made at most once.
"""

import json
import logging
from decimal import Decimal
from functools import cached_property

from django.db import transaction

from core.background import send_after_commit
from core.fetch import by_pk
from core.models import Participant
from recruitment import events, host
from recruitment.base import CLOSE_RECRUITMENT_LOG_PREFIX, Recruiter, RecruiterError, record_recruitments, register
from recruitment.models import Payment
from recruitment.payments import ledger
from recruitment.payments.budget import budget_allow_recruitment
from recruitment.prolific.client import (
    ProlificAmbiguous,
    ProlificClient,
    ProlificError,
    ProlificRefused,
    ProlificUnavailable,
)
from recruitment.prolific.codes import (
    COMPLETION_URL,
    DEFAULT_CODE_TYPE,
    code_map,
    completion_codes,
    completion_url,
)
from recruitment.prolific.study import DEFAULT_CURRENCY, study_for, study_record, study_status_set

logger = logging.getLogger(__name__)

API_ROOT = "https://api.prolific.com/api/{version}"
#: Prolific fills these in with the participant, study and session (submission) ids.
AD_PARAMETERS = "PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}"
#: Submission statuses in which Prolific has not yet received the submission an approval needs.
NOT_YET_SUBMITTED = {"RESERVED", "ACTIVE", "PROCESSING"}
#: Submission statuses that can never be approved (nothing is paid).
UNPAYABLE = {"RETURNED", "TIMED-OUT", "REJECTED", "SCREENED OUT"}
#: A remote status that ends a local `working` participant's assignment, and the event it is.
ENDINGS = {"TIMED-OUT": "AssignmentAbandoned", "RETURNED": "AssignmentReturned"}
REJECTION_CATEGORIES = {
    "TOO_QUICKLY", "TOO_SLOWLY", "FAILED_INSTRUCTIONS", "INCOMP_LONGITUDINAL", "FAILED_CHECK", "LOW_EFFORT",
    "MALINGERING", "NO_CODE", "BAD_CODE", "NO_DATA", "UNSUPP_DEVICE", "OTHER",
}  # fmt: skip
MINIMUM_REJECTION_MESSAGE = 100


def client_from_config(config) -> ProlificClient:
    """A Prolific API client with the configured token and API root."""
    token = config.get("prolific_api_token") or ""
    if not token:
        raise RecruiterError("prolific_api_token is not set: the Prolific recruiter cannot reach Prolific.")
    base_url = config.get("prolific_api_base_url") or API_ROOT.format(version=config.get("prolific_api_version") or "v1")
    return ProlificClient(token, base_url)


@register
class ProlificRecruiter(Recruiter):
    """Recruits and pays participants through one Prolific study per experiment."""

    nickname = "prolific"
    #: Where participants submit: the content security policy lets the exit page send them there.
    external_submission_url = COMPLETION_URL
    exit_template = "exit_recruiter_prolific.html"
    #: The recruiter that stands in for this one when `mode = debug`.
    debug_stand_in = "devprolific"

    @cached_property
    def client(self) -> ProlificClient:
        """The Prolific API client (built when first used: showing an exit page needs none)."""
        return client_from_config(self.config)

    # The study ---------------------------------------------------------------------------------

    def study(self):
        """The experiment's ProlificStudy row, or None before recruitment opens."""
        return study_for(self.config)

    @property
    def study_id(self) -> str | None:
        """The id of the experiment's study on Prolific, or None."""
        row = self.study()
        return row.study_id if row is not None else None

    @property
    def currency(self) -> str:
        """The study's currency (Prolific pays in its account's currency)."""
        row = self.study()
        return row.currency if row is not None else DEFAULT_CURRENCY

    def status_summary(self) -> dict[str, str]:
        """The experiment's study and its status as Prolific last reported it."""
        row = self.study()
        if row is None:
            return {"Prolific study": "none yet (created when recruitment opens)"}
        return {"Prolific study": row.study_id, "Study status": row.status or "not reported yet"}

    def _required_study(self):
        row = self.study()
        if row is None:
            raise RecruiterError(
                f"No Prolific study is recorded for experiment {self.config.get('id')!r}: open recruitment first."
            )
        return row

    def _experiment_id(self) -> str:
        experiment_id = self.config.get("id") or ""
        if not experiment_id:
            raise RecruiterError("The configuration has no experiment id (`id`): Prolific studies are named by it.")
        return experiment_id

    def _base_payment(self) -> float:
        return float(self.config.get("base_payment") or 0)

    # Opening, recruiting, closing --------------------------------------------------------------

    def open_recruitment(self, n: int = 1) -> dict:
        """Create the experiment's study on Prolific for `n` places (a draft unless `mode = live`
        and `publish_experiment`), record it, and return its URL."""
        if n < 1:
            raise RecruiterError("A Prolific study needs at least one place.")
        experiment_id = self._experiment_id()
        existing = self.study()
        if existing is not None:
            raise RecruiterError(
                f"Prolific study {existing.study_id} is already recorded for experiment {experiment_id}; "
                "recruit more participants into it instead of opening recruitment again."
            )
        allowed = budget_allow_recruitment(
            config=self.config, recruiter_nickname=self.nickname, n=n, price=self._base_payment()
        )
        if allowed < n:
            raise RecruiterError(
                f"The budget allows {allowed} of the {n} places asked for: no Prolific study was created. "
                "Raise `budget` or ask for fewer participants."
            )
        workspace_id = self.workspace_resolve()
        project_id = self.project_resolve(workspace_id)
        codes = completion_codes(self.config)
        request = self.study_request(n, project_id, codes)
        study = self._study_adopted(project_id, experiment_id)
        if study is not None:
            logger.warning(
                "Found Prolific study %s for experiment %s (made before an interruption); using it.",
                study["id"],
                experiment_id,
            )
        else:
            study = self._study_created(request, project_id, experiment_id)
        with transaction.atomic():
            row = study_record(
                experiment_id=experiment_id,
                study=study,
                workspace_id=workspace_id,
                project_id=project_id,
                codes=code_map(study.get("completion_codes") or codes),
                url=request["external_study_url"],
            )
            record_recruitments(self.nickname, n)
        self.config.set("prolific_completion_codes", json.dumps(row.completion_codes))
        published = self._publish_if_configured(row)
        if published:
            message = f"Study {row.study_id} created and published on Prolific."
        else:
            message = (
                f"Study {row.study_id} created on Prolific as a draft: publish it on Prolific's site "
                "(it is published here only with mode = live and publish_experiment = true)."
            )
        logger.info(message)
        return {"items": [row.external_study_url], "message": message}

    def study_request(self, n: int, project_id: str, codes: list[dict]) -> dict:
        """The create-study request: Dallinger's fields, then `prolific_recruitment_config` over them."""
        estimate = self.config.get("prolific_estimated_completion_minutes") or 0
        maximum = self.config.get("prolific_maximum_allowed_minutes")
        if maximum is not None:
            logger.warning(
                "prolific_maximum_allowed_minutes is deprecated: Prolific sets the maximum time itself "
                "and may ignore it."
            )
        request = {
            "name": self.config.get("title") or "",
            "internal_name": self._experiment_id(),
            "description": self.config.get("description") or "",
            "external_study_url": f"{self.base_url}/ad?recruiter={self.nickname}&{AD_PARAMETERS}",
            "prolific_id_option": "url_parameters",
            "completion_option": "url",
            "completion_codes": codes,
            "estimated_completion_time": estimate,
            "maximum_allowed_time": maximum if maximum is not None else 3 * estimate + 2,
            "reward": int(round(self._base_payment() * 100)),
            "total_available_places": n,
            "filters": [],
            "is_custom_screening": bool(self.config.get("prolific_is_custom_screening")),
            "project": project_id,
            "status": "UNPUBLISHED",
        }
        request.update(self._recruitment_config())
        estimate = request.get("estimated_completion_time")
        if not isinstance(estimate, int) or isinstance(estimate, bool) or estimate < 1:
            raise RecruiterError(
                "prolific_estimated_completion_minutes must be set to a whole number of minutes (1 or more)."
            )
        return request

    def _recruitment_config(self) -> dict:
        raw = self.config.get("prolific_recruitment_config") or "{}"
        try:
            extra = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError as error:
            raise RecruiterError(f"prolific_recruitment_config is not JSON: {error}") from None
        if not isinstance(extra, dict):
            raise RecruiterError("prolific_recruitment_config must be a JSON object.")
        return extra

    def workspace_resolve(self) -> str:
        """The id of the configured workspace (`prolific_workspace`: its id, or its name in any case)."""
        wanted = (self.config.get("prolific_workspace") or "").strip()
        if not wanted:
            raise RecruiterError("prolific_workspace is not set: name the Prolific workspace (or give its id).")
        workspaces = self.client.workspaces()
        for workspace in workspaces:
            if workspace.get("id") == wanted:
                return wanted
        named = [w for w in workspaces if (w.get("title") or "").casefold() == wanted.casefold()]
        if len(named) > 1:
            ids = ", ".join(w["id"] for w in named)
            raise RecruiterError(
                f"{len(named)} Prolific workspaces are named {wanted!r} ({ids}): set prolific_workspace to one id."
            )
        if not named:
            known = ", ".join(repr(w.get("title")) for w in workspaces) or "none"
            raise RecruiterError(f"There is no Prolific workspace {wanted!r}. Workspaces: {known}.")
        return named[0]["id"]

    def project_resolve(self, workspace_id: str) -> str:
        """The id of the configured project (`prolific_project`, its id or title), made if missing."""
        wanted = (self.config.get("prolific_project") or "").strip()
        if not wanted:
            raise RecruiterError("prolific_project is not set: name the Prolific project to create the study in.")
        found = self._project_named(workspace_id, wanted)
        if found:
            return found
        try:
            project = self.client.create_project(workspace_id, wanted)
        except ProlificAmbiguous:
            # Whether it was made is unknown: look before making another.
            found = self._project_named(workspace_id, wanted)
            if found:
                return found
            raise
        logger.info("Created Prolific project %r (%s).", wanted, project["id"])
        return project["id"]

    def _project_named(self, workspace_id: str, wanted: str) -> str | None:
        projects = self.client.projects(workspace_id)
        for project in projects:
            if project.get("id") == wanted:
                return wanted
        named = [p for p in projects if (p.get("title") or "").casefold() == wanted.casefold()]
        if len(named) > 1:
            raise RecruiterError(
                f"{len(named)} Prolific projects are titled {wanted!r}: set prolific_project to one id."
            )
        return named[0]["id"] if named else None

    def _study_adopted(self, project_id: str, experiment_id: str) -> dict | None:
        """A study of the project already made for this experiment (a crash after creating it
        lost its record): found by `internal_name`, so it is used instead of a second draft."""
        for study in self.client.project_studies(project_id):
            if study.get("internal_name") == experiment_id:
                return self.client.get_study(study["id"])
        return None

    def _study_created(self, request: dict, project_id: str, experiment_id: str) -> dict:
        try:
            return self.client.create_study(request)
        except ProlificAmbiguous:
            study = self._study_adopted(project_id, experiment_id)
            if study is None:
                raise
            return study

    def _publish_if_configured(self, row) -> bool:
        if self.config.get("mode") != "live" or not self.config.get("publish_experiment"):
            return False
        if row.status in ("", "UNPUBLISHED"):
            study = self.client.transition_study(row.study_id, "PUBLISH")
            study_status_set(row, (study or {}).get("status") or "PUBLISHING")
        return True

    def recruit(self, n: int = 1) -> list:
        """Add `n` places to the study (only with `auto_recruit`, and as far as the budget allows)."""
        if not self.config.get("auto_recruit"):
            logger.info("auto_recruit is off: no places added to the Prolific study.")
            return []
        row = self._required_study()
        allowed = budget_allow_recruitment(
            config=self.config, recruiter_nickname=self.nickname, n=n, price=self._base_payment()
        )
        if allowed < 1:
            logger.warning("The budget allows no more places: none added to Prolific study %s.", row.study_id)
            return []
        # Read, then write (Prolific has no increment); places can only go up, so a lost race
        # adds fewer places, never more.
        study = self.client.get_study(row.study_id)
        total = int(study.get("total_available_places") or 0) + allowed
        study = self.client.update_study(row.study_id, total_available_places=total)
        study_status_set(row, (study or {}).get("status"))
        record_recruitments(self.nickname, allowed)
        logger.info("Added %s place(s) to Prolific study %s (now %s).", allowed, row.study_id, total)
        return []

    def close_recruitment(self) -> str:
        """Pause the study if it is taking participants (it can be started again); says what it did."""
        return self._transition_if("PAUSE", {"ACTIVE"}, "paused")

    def stop(self) -> str:
        """Stop the study for good (Prolific cannot restart a stopped study); says what it did."""
        return self._transition_if("STOP", {"ACTIVE", "PAUSED", "AWAITING REVIEW"}, "stopped")

    def _transition_if(self, action: str, from_statuses: set, done: str) -> str:
        row = self.study()
        if row is None:
            message = "no Prolific study is recorded for this experiment: nothing to close."
        else:
            status = self.client.get_study(row.study_id).get("status")
            if status in from_statuses:
                study = self.client.transition_study(row.study_id, action)
                study_status_set(row, (study or {}).get("status") or status)
                message = f"Prolific study {row.study_id} {done} (it was {status})."
            else:
                study_status_set(row, status)
                message = f"Prolific study {row.study_id} left as it is ({status}): only a study that is " + (
                    " or ".join(sorted(from_statuses)) + f" can be {done}."
                )
        logger.info("%s %s", CLOSE_RECRUITMENT_LOG_PREFIX, message)
        return message

    # Approving, rejecting, paying --------------------------------------------------------------

    def approve_hit(self, assignment_id: str) -> bool:
        """Approve a submission awaiting review (true if it is approved, now or before)."""
        self._approve(assignment_id, steps=None)
        return True

    def _approve(self, submission_id: str, steps) -> str:
        try:
            submission = self.client.get_submission(submission_id)
        except ProlificRefused as error:
            raise ledger.PaymentRefused(str(error)) from error
        except ProlificUnavailable as error:
            raise ledger.PaymentNotReady(str(error)) from error
        status = submission.get("status")
        if status == "APPROVED":
            return submission_id
        if status in NOT_YET_SUBMITTED:
            raise ledger.PaymentNotReady(
                f"Prolific submission {submission_id} is {status}: waiting for the participant to submit it "
                "on Prolific (it is approved once it awaits review)."
            )
        if status != "AWAITING REVIEW":
            raise ledger.PaymentRefused(
                f"Prolific submission {submission_id} is {status}: it cannot be approved "
                "(what is owed can be paid with manage.py compensate)."
            )
        if steps is not None:
            steps.paying()
        try:
            self.client.transition_submission(submission_id, "APPROVE")
        except ProlificRefused as error:
            raise ledger.PaymentRefused(str(error)) from error
        logger.info("Approved Prolific submission %s.", submission_id)
        return submission_id

    def send_payment(self, payment, participant, steps) -> str | None:
        """Make a ledger payout: the base payment approves the submission; a bonus (or a
        compensation) is set up once (its id kept on the row) and then paid once."""
        if payment.kind == Payment.Kind.BASE:
            return self._approve(participant.assignment_id, steps)
        if payment.kind == Payment.Kind.BONUS and not payment.setup_id:
            self._require_submitted(participant.assignment_id)
        if payment.kind in (Payment.Kind.BONUS, Payment.Kind.COMPENSATION):
            return self._bonus(participant.worker_id, payment.amount, steps, setup_id=payment.setup_id)
        raise RecruiterError(f"The {self.nickname} recruiter cannot make a {payment.kind} payout.")

    def _require_submitted(self, submission_id: str) -> None:
        # Prolific pays bonuses on completed submissions: one still in progress waits.
        try:
            status = self.client.get_submission(submission_id).get("status")
        except ProlificRefused as error:
            raise ledger.PaymentRefused(str(error)) from error
        except ProlificUnavailable as error:
            raise ledger.PaymentNotReady(str(error)) from error
        if status in NOT_YET_SUBMITTED:
            raise ledger.PaymentNotReady(f"Prolific submission {submission_id} is {status}, not yet complete.")

    def _bonus(self, worker_id: str, amount, steps, *, setup_id: str = "") -> str:
        row = self._required_study()
        amount = Decimal(str(amount)).quantize(Decimal("0.01"))
        if not setup_id:
            try:
                setup = self.client.bonus_setup(row.study_id, f"{worker_id},{amount:.2f}")
            except ProlificRefused as error:
                raise ledger.PaymentRefused(str(error)) from error
            except ProlificUnavailable as error:
                raise ledger.PaymentNotReady(str(error)) from error
            setup_id = str(setup["id"])
            if steps is not None:
                steps.prepared(setup_id)
        if steps is not None:
            steps.paying()
        try:
            self.client.bonus_pay(setup_id)
        except ProlificRefused as error:
            raise ledger.PaymentRefused(str(error)) from error
        logger.info("Paid a bonus of %s %s to %s (Prolific bonus %s).", amount, row.currency, worker_id, setup_id)
        return setup_id

    def payment_outcome(self, payment) -> bool | None:
        """Whether an interrupted approval went through, from the submission's status; a bonus's
        cannot be told (Prolific lists no bonus payments), so None."""
        if payment.kind != Payment.Kind.BASE:
            return None
        try:
            status = self.client.get_submission(payment.assignment_id).get("status")
        except ProlificError:
            return None
        return {"APPROVED": True, "AWAITING REVIEW": False}.get(status)

    def reward_bonus(self, participant, amount: float, reason: str) -> str:
        """Pay `participant` a bonus at once (outside the ledger; `reason` is not sent to Prolific)."""
        return self._bonus(participant.worker_id, amount, None)

    def reject(self, submission_id: str, message: str, category: str) -> dict:
        """Reject a submission awaiting review, with Prolific's required message and category."""
        if not isinstance(message, str) or len(message.strip()) < MINIMUM_REJECTION_MESSAGE:
            raise RecruiterError(
                f"A Prolific rejection needs a message of at least {MINIMUM_REJECTION_MESSAGE} characters."
            )
        if category not in REJECTION_CATEGORIES:
            raise RecruiterError(f"Unknown rejection category {category!r}: one of {', '.join(sorted(REJECTION_CATEGORIES))}.")
        return self.client.transition_submission(submission_id, "REJECT", message=message, rejection_category=category)

    def reject_assignment(self, participant, message: str, category: str = "") -> None:
        """Reject the participant's submission on Prolific (`category` defaults to OTHER)."""
        self.reject(participant.assignment_id, message, category or "OTHER")

    def screen_out(self, participant, bonus: float) -> dict:
        """Screen out a participant, paying them the fixed screen-out `bonus` (the study must use
        custom screening); with `auto_recruit`, Prolific opens a place for a replacement."""
        row = self._required_study()
        screening = self._recruitment_config().get(
            "is_custom_screening", bool(self.config.get("prolific_is_custom_screening"))
        )
        if not screening:
            raise RecruiterError("Screen-out needs prolific_is_custom_screening = true when the study is created.")
        if participant is None:
            raise RecruiterError("No participant to screen out.")
        try:
            answer = self.client.screen_out(
                row.study_id,
                [participant.assignment_id],
                bonus,
                increase_places=bool(self.config.get("auto_recruit")),
            )
        except ProlificError as error:
            raise RecruiterError(f"Prolific refused to screen out participant {participant.pk}: {error}") from error
        logger.info("Screened out participant %s (submission %s).", participant.pk, participant.assignment_id)
        return answer

    # The end of a participant's work -----------------------------------------------------------

    def submitted_event(self) -> str | None:
        # Prolific's own site takes the submission: `/worker_complete` only marks it started,
        # and the exit page's button confirms it (`/prolific-submission-listener`).
        return None

    def completion_codes(self) -> dict[str, str]:
        """Code type → code of the study (recorded, else as they would be made)."""
        row = self.study()
        if row is not None and row.completion_codes:
            return dict(row.completion_codes)
        return code_map(completion_codes(self.config))

    def completion_url_for(self, participant) -> str:
        """The Prolific address where `participant` submits, with the code the experiment chooses
        for them (`recruiter_exit_info(participant)`, Dallinger's hook; DEFAULT when it says none)."""
        code_type = None
        try:
            experiment = host.current().experiment()
        except RecruiterError:
            experiment = None
        choose = getattr(experiment, "recruiter_exit_info", None)
        if choose is not None:
            code_type = choose(participant)
        return completion_url(self.completion_codes(), code_type or DEFAULT_CODE_TYPE)

    def exit_page_context(self, participant) -> dict:
        return {
            "recruiter": self.nickname,
            "participant": participant,
            "completion_url": self.completion_url_for(participant),
        }

    # Keeping statuses in step with Prolific ----------------------------------------------------

    def verify_status_of(self, participants) -> dict:
        """Compare participants with their submissions on Prolific (one listing of the study) and
        act on the differences: a participant still working whose submission TIMED-OUT has
        abandoned, one whose submission was RETURNED has returned (the experiment's hooks run);
        a submission AWAITING REVIEW is processed if it was not yet, and its approval sent if it
        is still owed. Counts of what was done."""
        from recruitment import tasks  # tasks import the recruiters

        done = {"AssignmentAbandoned": 0, "AssignmentReturned": 0, "processed": 0, "settled": 0}
        row = self.study()
        if row is None or not participants:
            return done
        remote = {item.get("id"): item.get("status") for item in self.client.submissions(row.study_id)}
        runtime = host.current()
        experiment = runtime.experiment()
        for participant in participants:
            status = remote.get(participant.assignment_id)
            if status is None:
                continue
            try:
                self._status_apply(experiment, runtime, participant, status, done, tasks)
            except Exception:
                # One participant's hook failing must not stop the others being brought in step.
                logger.exception("Bringing participant %s in step with Prolific (%s) failed.", participant.pk, status)
        return done

    def status_polling_needed(self) -> bool:
        """Without a webhook secret no webhooks arrive: polling is how changes reach us."""
        return not self.config.get("prolific_webhook_secret")

    def _status_apply(self, experiment, runtime, participant, status, done, tasks) -> None:
        with transaction.atomic():
            locked = by_pk(Participant, participant.pk, lock="no_key_update")
            if locked is None:
                return
            if status in ENDINGS:
                if events.assignment_end(experiment=experiment, participant=locked, event=ENDINGS[status]):
                    logger.warning("Participant %s: Prolific says %s.", locked.pk, status)
                    done[ENDINGS[status]] += 1
            elif status == "AWAITING REVIEW":
                if locked.status in events.SUBMITTABLE:
                    # Prolific has the submission, but it never reached us (the exit page's
                    # call was lost): process it now, as the listener would have.
                    runtime.process_submission(experiment, locked)
                    done["processed"] += 1
                elif self._payout_owed(locked):
                    send_after_commit(tasks.settle_submission.s(locked.pk))
                    done["settled"] += 1

    @staticmethod
    def _payout_owed(participant) -> bool:
        return bool(ledger.payments_due(participant=participant, kinds=(Payment.Kind.BASE, Payment.Kind.BONUS)))


class _LoggedCalls:
    """Stands in for the Prolific client in debug mode: logs each call it would make, makes none."""

    def __init__(self, config):
        self.config = config
        self._studies = {}

    def _log(self, call: str, *args) -> None:
        logger.info("devprolific: would call Prolific %s%r", call, args)

    def workspaces(self):
        self._log("workspaces")
        wanted = self.config.get("prolific_workspace") or "workspace"
        return [{"id": "dev-workspace", "title": wanted}]

    def projects(self, workspace_id):
        self._log("projects", workspace_id)
        return [{"id": "dev-project", "title": self.config.get("prolific_project") or "project"}]

    def project_studies(self, project_id):
        self._log("project_studies", project_id)
        return []

    def create_study(self, body):
        self._log("create_study", body.get("name"), body.get("total_available_places"))
        return {**body, "id": f"dev-{body.get('internal_name')}", "status": "UNPUBLISHED", "currency_code": "GBP"}

    def get_study(self, study_id):
        self._log("get_study", study_id)
        return {"id": study_id, "status": "ACTIVE", "total_available_places": 0}

    def update_study(self, study_id, **fields):
        self._log("update_study", study_id, fields)
        return {"id": study_id, **fields}

    def transition_study(self, study_id, action):
        self._log("transition_study", study_id, action)
        return {"id": study_id, "status": {"PUBLISH": "ACTIVE", "PAUSE": "PAUSED", "STOP": "COMPLETED"}.get(action)}

    def submissions(self, study_id, status=None):
        self._log("submissions", study_id)
        return []


@register
class DevProlificRecruiter(ProlificRecruiter):
    """The Prolific recruiter for `mode = debug`: logs the calls it would make to Prolific and
    makes none, pays nobody, and thanks the participant on a local page instead of sending
    them to Prolific (so their submission is processed at once)."""

    nickname = "devprolific"
    debug_stand_in = None
    pays_outside = False
    external_submission_url = None
    exit_template = "exit_recruiter.html"

    @cached_property
    def client(self):
        return _LoggedCalls(self.config)

    def send_payment(self, payment, participant, steps) -> str | None:
        logger.info(
            "devprolific: would pay the %s of %s to Prolific participant %s.",
            payment.kind,
            payment.amount,
            participant.worker_id,
        )
        return None

    def approve_hit(self, assignment_id: str) -> bool:
        logger.info("devprolific: would approve Prolific submission %s.", assignment_id)
        return True

    def reward_bonus(self, participant, amount: float, reason: str) -> None:
        logger.info("devprolific: would pay a bonus of %.2f to %s.", amount, participant.worker_id)

    def reject(self, submission_id: str, message: str, category: str) -> dict:
        logger.info("devprolific: would reject Prolific submission %s (%s).", submission_id, category)
        return {}

    def screen_out(self, participant, bonus: float) -> dict:
        logger.info("devprolific: would screen out participant %s with %.2f.", participant.pk, bonus)
        return {}

    def submitted_event(self) -> str | None:
        return "AssignmentSubmitted"

    def exit_page_context(self, participant) -> dict:
        logger.info(
            "devprolific: would send participant %s to %s.", participant.pk, self.completion_url_for(participant)
        )
        return {"recruiter": self.nickname, "participant": participant}


__all__ = ["DevProlificRecruiter", "ProlificRecruiter", "client_from_config"]
