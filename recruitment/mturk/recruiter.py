"""The Mechanical Turk recruiters (`mturk`, and `mturklarge` for HITs of 10 or more assignments).

The HIT lives on MTurk; its id is kept in the database (`MTurkHit`, one per experiment id), so
every web process and worker, and a restarted one, finds it. MTurk tells of assignments through
SNS notifications to `/mturk-sns-listener` on the SNS topic named after the experiment id.
Payouts go through the payment ledger (`send_payment`): the base payment approves the
assignment, a bonus carries a UniqueRequestToken made from its ledger key, so a retry is
refused by MTurk itself instead of paying twice.
"""

import logging
from datetime import timedelta
from decimal import Decimal
from functools import cached_property
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from core.background import send_after_commit
from core.fetch import by_pk
from core.locks import lock_keys
from core.models import Participant, ParticipantStatus
from recruitment import events, host
from recruitment.base import (
    CLOSE_RECRUITMENT_LOG_PREFIX,
    Recruiter,
    RecruiterError,
    record_recruitments,
    recruited_count,
    register,
)
from recruitment.models import Payment
from recruitment.mturk import compensation
from recruitment.mturk.client import (
    MTurkClient,
    MTurkDuplicateToken,
    MTurkError,
    MTurkUnavailable,
    client_from_config,
    is_sandbox,
    request_token,
    submit_url,
)
from recruitment.mturk.hit import hit_for, hit_record
from recruitment.mturk.questions import external_question, names_listed, qualification_requirements
from recruitment.mturk.sns import topic_name
from recruitment.mturk.tasks import qualifications_assign
from recruitment.payments import ledger
from recruitment.payments.budget import budget_allow_recruitment

logger = logging.getLogger(__name__)

#: How long past `duration` a participant may still be working before MTurk is asked about them.
OVERDUE_GRACE = timedelta(seconds=120)
#: Hosts MTurk's workers cannot reach: a HIT pointing there would show them nothing.
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}
#: A local status an MTurk assignment status settles, for an overdue participant.
SETTLED_STATUSES = {"Approved": ParticipantStatus.APPROVED, "Rejected": ParticipantStatus.REJECTED}
#: Where MTurk's frame shows the participant pages, by sandbox or not.
WORKER_SITES = {True: "https://workersandbox.mturk.com", False: "https://worker.mturk.com"}


@register
class MTurkRecruiter(Recruiter):
    """Recruits through one Mechanical Turk HIT per experiment (the sandbox unless `mode = live`)."""

    nickname = "mturk"
    exit_template = "exit_recruiter_mturk.html"
    #: In debug mode nothing reaches MTurk: `hotair` stands in, as in Dallinger.
    debug_stand_in = "hotair"

    def __init__(self, config, base_url: str = "http://localhost:8000", *, sandbox: bool | None = None):
        super().__init__(config, base_url=base_url)
        self.sandbox = is_sandbox(config) if sandbox is None else sandbox
        #: Whether MTurk emails a compensated worker about their qualification (`compensate --email`).
        self.compensation_notify = False

    @cached_property
    def client(self) -> MTurkClient:
        """The MTurk client (built when first used: showing an exit page needs none)."""
        return client_from_config(self.config, sandbox=self.sandbox)

    @property
    def external_submission_url(self) -> str:
        """Where the exit page sends the worker to submit their assignment."""
        return submit_url(self.sandbox)

    def content_security_sources(self) -> dict[str, tuple[str, ...]]:
        # The pages are shown inside MTurk's worker site, and submit to MTurk at the end.
        sources = super().content_security_sources()
        sources["frame-ancestors"] = (WORKER_SITES[self.sandbox],)
        return sources

    @property
    def notification_topic(self) -> str:
        """The name of the SNS topic MTurk's notifications arrive on: the experiment id."""
        return topic_name(self._experiment_id())

    @property
    def notification_url(self) -> str:
        """Where SNS delivers the notifications."""
        return f"{self.base_url}/mturk-sns-listener"

    def hit(self):
        """The experiment's MTurkHit row, or None before recruitment opens."""
        return hit_for(self.config)

    def status_summary(self) -> dict[str, str]:
        """The experiment's HIT, whether it is in the sandbox, and where workers find it."""
        row = self.hit()
        if row is None:
            return {"MTurk HIT": "none yet (created when recruitment opens)"}
        return {
            "MTurk HIT": row.hit_id,
            "MTurk site": "sandbox" if row.sandbox else "live",
            "Worker URL": row.worker_url,
        }

    def _experiment_id(self) -> str:
        experiment_id = self.config.get("id", None) or ""
        if not experiment_id:
            raise RecruiterError("The configuration has no experiment id (`id`): MTurk HITs are named by it.")
        return experiment_id

    def _base_payment(self) -> float:
        return float(self.config.get("base_payment", None) or 0)

    # Opening, recruiting, closing --------------------------------------------------------------

    def initial_assignments(self, n: int) -> int:
        """How many assignments the HIT opens with when `n` participants are asked for."""
        return n

    def open_recruitment(self, n: int = 1) -> dict:
        """Create the experiment's HIT with its notifications, record it, and return its worker URL."""
        if n < 1:
            raise RecruiterError("A HIT needs at least one assignment.")
        experiment_id = self._experiment_id()
        if self.hit() is not None:
            raise RecruiterError(
                f"A HIT is already recorded for experiment {experiment_id}: recruit into it instead of opening again."
            )
        if (urlsplit(self.base_url).hostname or "") in LOCAL_HOSTS:
            raise RecruiterError(
                f"MTurk workers cannot reach {self.base_url}: set the server's public address to open a HIT."
            )
        for key in ("title", "description", "duration", "lifetime"):
            if self.config.get(key, None) in (None, ""):
                raise RecruiterError(f"{key} is not set: a HIT needs it.")
        if (
            budget_allow_recruitment(
                config=self.config, recruiter_nickname=self.nickname, n=n, price=self._base_payment()
            )
            < n
        ):
            raise RecruiterError(
                f"The budget does not allow {n} more participant(s): no HIT was created. Raise `budget` or ask for fewer."
            )
        client = self.client
        client.credentials_check()
        requirements = qualification_requirements(self.config, qualification_named=client.qualification_type_named)
        hit_type_id = client.hit_type_create(
            title=self.config.get("title"),
            description=self.config.get("description"),
            reward=self._base_payment(),
            duration_hours=float(self.config.get("duration")),
            keywords=names_listed(self.config.get("keywords", None)),
            qualifications=requirements,
        )
        topic_arn = client.topic_subscribe(topic_name=self.notification_topic, url=self.notification_url)
        client.notifications_set(hit_type_id=hit_type_id, topic_arn=topic_arn)
        hit = self._hit_created(client, hit_type_id, n, experiment_id)
        with transaction.atomic():
            row = hit_record(experiment_id=experiment_id, hit=hit, sandbox=self.sandbox, topic_arn=topic_arn)
            record_recruitments(self.nickname, n)
        where = "the MTurk sandbox" if self.sandbox else "Amazon Mechanical Turk"
        message = f"HIT {row.hit_id} now published to {where}."
        logger.info(message)
        return {"items": [row.worker_url], "message": message}

    def _hit_created(self, client, hit_type_id: str, n: int, experiment_id: str) -> dict:
        token = request_token(f"{experiment_id}:{'sandbox' if self.sandbox else 'live'}:hit")
        try:
            return client.hit_create(
                hit_type_id=hit_type_id,
                question=external_question(f"{self.base_url}/ad?recruiter={self.nickname}"),
                lifetime_days=float(self.config.get("lifetime")),
                max_assignments=self.initial_assignments(n),
                token=token,
                annotation=experiment_id,
            )
        except MTurkDuplicateToken:
            # Made by an attempt that was cut short before recording it: use that HIT.
            for hit in client.hits():
                if hit["annotation"] == experiment_id and hit["type_id"] == hit_type_id:
                    logger.warning(
                        "Found HIT %s of experiment %s (made before an interruption).", hit["id"], experiment_id
                    )
                    return hit
            raise

    def assignments_needed(self, n: int) -> int:
        """How many assignments recruiting `n` more participants adds to the HIT."""
        return n

    def recruit(self, n: int = 1) -> list:
        """Add `n` assignments to the HIT and push its expiration `duration` hours later (only
        with `auto_recruit`, and as far as the budget allows)."""
        if not self.config.get("auto_recruit", False):
            logger.info("auto_recruit is off: no assignments added to the HIT.")
            return []
        row = self.hit()
        if row is None:
            logger.warning("No HIT is recorded for this experiment: open recruitment before recruiting.")
            return []
        with transaction.atomic():
            # Serialised per HIT: the count below names the extension (its request token), so a
            # retry of a cut-short call is refused by MTurk, and two at once never share one.
            lock_keys(f"mturk:recruit:{row.hit_id}")
            allowed = budget_allow_recruitment(
                config=self.config, recruiter_nickname=self.nickname, n=n, price=self._base_payment()
            )
            if allowed < 1:
                logger.warning("The budget allows no more participants: nothing added to HIT %s.", row.hit_id)
                return []
            before = recruited_count(self.nickname)
            needed = self.assignments_needed(allowed)
            if needed:
                self.client.assignments_add(
                    hit_id=row.hit_id, number=needed, token=request_token(f"{row.hit_id}:assignments:{before}:{needed}")
                )
                self.client.expiration_extend(hit_id=row.hit_id, hours=float(self.config.get("duration")))
            record_recruitments(self.nickname, allowed)
        logger.info("Recruited %s participant(s): %s assignment(s) added to HIT %s.", allowed, needed, row.hit_id)
        return []

    def close_recruitment(self) -> str:
        """Expire the HIT, so no new worker can take it (those working may finish); says what it did."""
        row = self.hit()
        if row is None:
            message = "no HIT is recorded for this experiment: nothing to close."
        else:
            self.client.hit_expire(row.hit_id)
            message = f"HIT {row.hit_id} expired."
        logger.info("%s %s", CLOSE_RECRUITMENT_LOG_PREFIX, message)
        return message

    # Approving and paying ----------------------------------------------------------------------

    def approve_hit(self, assignment_id: str) -> bool:
        """Approve a submitted assignment; whether it is approved (now or before)."""
        try:
            self._approve(assignment_id, None)
        except (MTurkError, ledger.PaymentRefused) as error:
            logger.error("Assignment %s could not be approved: %s", assignment_id, error)
            return False
        return True

    def _approve(self, assignment_id: str, steps) -> str:
        if steps is not None:
            steps.paying()
        try:
            self.client.assignment_approve(assignment_id)
        except MTurkUnavailable:
            raise
        except MTurkError as error:
            # HIT types approve at once on submission (AutoApprovalDelayInSeconds=0), so MTurk
            # may refuse an approval because the assignment already is approved: then it is paid.
            assignment = self.client.assignment_get(assignment_id)
            if assignment is not None and assignment["status"] == "Approved":
                return assignment_id
            raise ledger.PaymentRefused(str(error)) from error
        logger.info("Approved MTurk assignment %s.", assignment_id)
        return assignment_id

    def send_payment(self, payment, participant, steps) -> str | None:
        """Make a ledger payout: the base payment approves the assignment; a bonus is sent with
        a request token made from the ledger key; a compensation is a HIT only the worker may take."""
        if payment.kind == Payment.Kind.BASE:
            return self._approve(payment.assignment_id or participant.assignment_id, steps)
        if payment.kind == Payment.Kind.BONUS:
            return self._bonus(payment, participant, steps)
        if payment.kind == Payment.Kind.COMPENSATION:
            return compensation.compensation_send(
                client=self.client, payment=payment, steps=steps, notify=self.compensation_notify
            )
        raise RecruiterError(f"The {self.nickname} recruiter cannot make a {payment.kind} payout.")

    def _bonus(self, payment, participant, steps) -> str:
        assignment_id = payment.assignment_id or participant.assignment_id
        worker_id = payment.worker_id or getattr(participant, "worker_id", "")
        if not worker_id:
            assignment = self.client.assignment_get(assignment_id)
            if assignment is None:
                raise ledger.PaymentRefused(f"MTurk does not know assignment {assignment_id}.")
            worker_id = assignment["worker_id"]
        token = request_token(payment.key)
        if steps is not None:
            steps.paying()
        try:
            self.client.bonus_send(
                worker_id=worker_id,
                assignment_id=assignment_id,
                amount=Decimal(str(payment.amount)),
                reason=payment.reason or "Bonus",
                token=token,
            )
        except MTurkUnavailable:
            raise
        except MTurkError as error:
            raise ledger.PaymentRefused(str(error)) from error
        logger.info("Paid a bonus of %s USD to worker %s (assignment %s).", payment.amount, worker_id, assignment_id)
        return token

    def payment_outcome(self, payment) -> bool | None:
        """Whether an interrupted payout went through: an approval from the assignment's status;
        a bonus from the assignment's bonus payments (sending it again within MTurk's 24 hours
        carries the same token, so MTurk refuses a second one)."""
        try:
            if payment.kind == Payment.Kind.BASE:
                assignment = self.client.assignment_get(payment.assignment_id)
                status = assignment["status"] if assignment else None
                return {"Approved": True, "Submitted": False}.get(status)
            if payment.kind == Payment.Kind.BONUS:
                return self.client.bonus_paid(
                    assignment_id=payment.assignment_id, worker_id=payment.worker_id, amount=payment.amount
                )
        except MTurkError:
            return None
        return None

    def reward_bonus(self, participant, amount: float, reason: str) -> str:
        """Pay `participant` a bonus at once (outside the ledger), with the token of their ledger
        bonus, so it can never be paid both ways."""
        payment = Payment(
            key=ledger.payment_key(participant, Payment.Kind.BONUS),
            kind=Payment.Kind.BONUS,
            assignment_id=participant.assignment_id,
            worker_id=participant.worker_id,
            amount=Decimal(str(amount)).quantize(Decimal("0.01")),
            reason=reason,
        )
        return self._bonus(payment, participant, None)

    # The end of a participant's work -----------------------------------------------------------

    def submitted_event(self) -> str | None:
        # MTurk's own site takes the submission and tells of it (AssignmentSubmitted over SNS).
        return None

    def rejects_questionnaire_from(self, participant) -> str | None:
        if participant.status != ParticipantStatus.WORKING:
            return (
                "This participant has already submitted their HIT on MTurk and can no longer submit the questionnaire."
            )
        return None

    def exit_page_context(self, participant) -> dict:
        return {
            "recruiter": self.nickname,
            "participant": participant,
            "external_submit_url": self.external_submission_url,
        }

    def notify_completed(self, participant) -> None:
        """The participant says they finished: with `assign_qualifications`, they are given the
        experiment's qualification and one per `group_name` (after commit, in the background),
        so later HITs can block or require them. An overrecruited participant is not."""
        if not self.config.get("assign_qualifications", True) or not participant.worker_id:
            return
        if participant.status == ParticipantStatus.OVERRECRUITED:
            return
        send_after_commit(
            qualifications_assign.s(participant.worker_id, self.completion_qualifications(), self.sandbox)
        )

    def completion_qualifications(self) -> list[dict]:
        """The qualifications given on completion: the experiment id's, then each group name's."""
        qualifications = [{"name": self._experiment_id(), "description": "Experiment-specific qualification"}]
        for name in names_listed(self.config.get("group_name", None)):
            qualifications.append({"name": name, "description": "Experiment group qualification"})
        return qualifications

    # Keeping statuses in step with MTurk -------------------------------------------------------

    def verify_status_of(self, participants) -> dict:
        """Ask MTurk about each participant still working past `duration` (+ 2 minutes), whose
        notification may have been lost: Approved or Rejected there is settled so here; Submitted
        is a submission that never reached us, recorded now as its notification would have been;
        anything else (no such assignment) marks them `missing_notification`. Counts of what was done."""
        done = {"approved": 0, "rejected": 0, "AssignmentSubmitted": 0, "NotificationMissing": 0}
        duration = self.config.get("duration", None)
        if not participants or duration in (None, ""):
            return done
        cutoff = timezone.now() - timedelta(hours=float(duration)) - OVERDUE_GRACE
        overdue = [p for p in participants if p.status == ParticipantStatus.WORKING and p.creation_time < cutoff]
        if not overdue:
            return done
        experiment = host.current().experiment()
        for participant in overdue:
            try:
                assignment = self.client.assignment_get(participant.assignment_id)
            except MTurkError as error:
                logger.error("MTurk could not be asked about participant %s: %s", participant.pk, error)
                continue
            try:
                self._status_apply(experiment, participant, assignment and assignment["status"], done)
            except Exception:
                # One participant's hook failing must not stop the others being brought in step.
                logger.exception("Bringing participant %s in step with MTurk failed.", participant.pk)
        return done

    def _status_apply(self, experiment, participant, status: str | None, done: dict) -> None:
        with transaction.atomic():
            locked = by_pk(Participant, participant.pk, lock="no_key_update")
            if locked is None or locked.status != ParticipantStatus.WORKING:
                return
            if status in SETTLED_STATUSES:
                locked.status = SETTLED_STATUSES[status]
                locked.end_time = locked.end_time or timezone.now()
                locked.save(update_fields=["status", "end_time"])
                logger.warning("Participant %s: MTurk says their assignment is %s.", locked.pk, status)
                done[locked.status] += 1
            elif status == "Submitted":
                events.event_record(
                    event_type="AssignmentSubmitted",
                    assignment_id=locked.assignment_id,
                    participant_id=locked.pk,
                    details={"source": "status check"},
                )
                logger.warning("Participant %s submitted on MTurk, and the notification never came.", locked.pk)
                done["AssignmentSubmitted"] += 1
            elif events.assignment_end(experiment=experiment, participant=locked, event="NotificationMissing"):
                logger.warning("Participant %s: MTurk has no submitted assignment %s.", locked.pk, locked.assignment_id)
                done["NotificationMissing"] += 1


@register
class MTurkLargeRecruiter(MTurkRecruiter):
    """The MTurk recruiter for HITs that grow to 10 assignments or more: MTurk cannot raise a HIT
    made with fewer than 10 to 10 or more, so the HIT opens with at least 10, and recruitment
    adds assignments only once those first 10 are taken."""

    nickname = "mturklarge"
    #: The fewest assignments a HIT opens with.
    pool_size = 10

    def initial_assignments(self, n: int) -> int:
        return max(n, self.pool_size)

    def assignments_needed(self, n: int) -> int:
        remaining_pool = max(0, self.pool_size - recruited_count(self.nickname))
        return max(0, n - remaining_pool)


__all__ = ["MTurkLargeRecruiter", "MTurkRecruiter"]
