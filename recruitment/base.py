"""The recruiter interface, and the two recruiters that recruit nobody for real: cli and hotair.

A recruiter opens recruitment, recruits more participants, closes recruitment, approves and
rewards participants, and decides where a participant goes when they finish. Each one is
constructed with the experiment's configuration (`experiments.config.Configuration`) and the
public base URL of the server.
"""

import logging
import secrets
from urllib.parse import urlsplit

from core.models import Recruitment

logger = logging.getLogger(__name__)

# Other components (the run command, log readers) look for these prefixes.
NEW_RECRUIT_LOG_PREFIX = "New participant requested:"
CLOSE_RECRUITMENT_LOG_PREFIX = "Close recruitment."
#: The `recruiter_id` of the recruitment row that records the launch (not a place requested).
LAUNCH_RECORD = "launch"


def generate_random_id(length: int = 16) -> str:
    """A random identifier for generated worker, assignment and HIT ids."""
    return secrets.token_hex(length // 2)


#: Recruiter classes by nickname (filled by `register`).
RECRUITERS: dict = {}


def register(recruiter_class):
    """Class decorator: make a recruiter findable by its nickname."""
    RECRUITERS[recruiter_class.nickname] = recruiter_class
    return recruiter_class


def record_recruitments(nickname: str, count: int) -> None:
    """Write one `recruitment` row per participant requested from the recruiter `nickname`."""
    Recruitment.objects.bulk_create([Recruitment(recruiter_id=nickname) for _ in range(count)])


def recruited_count(nickname: str) -> int:
    """How many participants have been requested from the recruiter `nickname` so far."""
    return Recruitment.objects.filter(recruiter_id=nickname).count()


class RecruiterError(Exception):
    """A recruiter cannot do what it was asked (bad configuration, service refusal)."""


class RecruiterNotInstalled(RecruiterError):
    """A participant's recorded recruiter is not installed here, so nothing that needs it can be done."""


class Recruiter:
    """The interface every recruiter implements; the defaults do nothing."""

    nickname = ""
    #: Where participants submit their work at the end, for recruiters with an external site.
    external_submission_url = None
    #: The page `/recruiter-exit` shows.
    exit_template = "exit_recruiter.html"
    #: Whether approving and paying move money outside this database (a platform's API). Such
    #: payouts are recorded as begun before the call, so a crash can never make them twice
    #: (recruitment/payments/ledger.py); a recruiter that only writes to the database says False.
    pays_outside = True
    #: The nickname of the recruiter that stands in for this one when `mode = debug` (None: itself).
    debug_stand_in = None

    def __init__(self, config, base_url: str = "http://localhost:8000"):
        self.config = config
        self.base_url = base_url.rstrip("/")

    def __call__(self):
        # Older experiments call `self.recruiter()` as a method.
        return self

    def open_recruitment(self, n: int = 1) -> dict:
        """Start recruiting `n` participants: `{"items": [urls...], "message": "..."}`."""
        raise NotImplementedError

    def recruit(self, n: int = 1) -> list:
        """Recruit `n` more participants; returns the URLs or ids created, if any."""
        raise NotImplementedError

    def close_recruitment(self) -> None:
        """Stop recruiting: the platform takes nobody new (the clock calls it when participants
        overrun the duration and `disable_when_duration_exceeded` is on)."""
        raise NotImplementedError

    #: What `verify_status_of` counts (a recruiter may add its own keys).
    STATUS_COUNTS = ("AssignmentAbandoned", "AssignmentReturned", "processed", "settled")

    def verify_status_of(self, participants) -> dict[str, int]:
        """Bring `participants` (this recruiter's) in step with what the platform knows of them,
        and count what was done.

        The contract every recruiter keeps (the clock relies on it, recruitment/clock.py):
        - ask the platform once for all of them where it can; never raise for one participant
          (log it and go on with the others);
        - lock and change each participant in a transaction of its own: the clock calls this
          with none open, so a participant's requests never wait on the platform's answers;
        - a participant still `working` whose assignment the platform says was abandoned or
          returned is ended through `recruitment.events.assignment_end` with
          `AssignmentAbandoned` / `AssignmentReturned` (status and end time saved, then the
          experiment's hook, the row locked);
        - a submission the platform has that never reached this server is processed now
          (`host.current().process_submission`, the row locked): `processed`; one processed
          before whose payout is still owed is settled again: `settled`;
        - a participant the platform does not know, or knows as still at work, is left as it is.
        Returns counts keyed by STATUS_COUNTS. Safe to call again: a participant already in
        step is not changed twice.

        The default, for a recruiter with no platform to ask (cli, hotair, bots), learns
        nothing and returns {}: the clock then marks an overdue participant who is still
        `working` `missing_notification` (NotificationMissing) rather than leaving them.
        """
        return {}

    def status_polling_needed(self) -> bool:
        """Whether `verify_status_of` must be polled even with `clock_on` off, because the
        platform's own notices cannot reach this server (Prolific without a webhook secret)."""
        return False

    def status_summary(self) -> dict[str, str] | None:
        """What this recruiter can tell about its recruitment now, as {label: value}, from this
        database only (showing it never calls a platform); None when it has nothing to tell."""
        return None

    def approve_hit(self, assignment_id: str) -> bool:
        """Approve a finished assignment (so the participant is paid their base pay)."""
        return True

    def reward_bonus(self, participant, amount: float, reason: str) -> None:
        """Pay `participant` a bonus of `amount` dollars."""
        raise NotImplementedError

    def reject_assignment(self, participant, message: str, category: str = "") -> None:
        """Tell the platform that `participant`'s work is rejected, so their base pay is never
        paid; RecruiterError if the platform refuses (nothing changed). `category` is the
        platform's reason code, where it has one. A recruiter without a platform has nobody
        to tell."""
        logger.info("Assignment %s rejected: %s", participant.assignment_id, message)

    #: The currency this recruiter pays in (ledger rows record it).
    currency = "USD"

    def send_payment(self, payment, participant, steps) -> str | None:
        """Make the payment ledger's payout `payment` (recruitment.models.Payment) to
        `participant`; the platform's id for it, if any.

        `steps` (recruitment.payments.ledger.PaymentSteps) must be told `paying()` right before the
        call that moves the money, and `prepared(id)` after a first step that pays nothing.
        The default makes base payments by `approve_hit` and bonuses by `reward_bonus`.
        """
        steps.paying()
        if payment.kind == "base":
            self.approve_hit(participant.assignment_id)
            return None
        if payment.kind == "bonus":
            return self.reward_bonus(participant, float(payment.amount), payment.reason)
        raise RecruiterError(f"The {self.nickname} recruiter cannot make a {payment.kind} payout.")

    def payment_outcome(self, payment) -> bool | None:
        """Whether a payout whose paying call was cut short reached the participant, from the
        platform's own records: True, False, or None when the platform cannot tell."""
        return None

    def notify_recruited(self, participant) -> None:
        """Told when a recruited participant joins the experiment."""

    def notify_using(self, participant) -> None:
        """Told when a participant is chosen to take part (e.g. to grant a qualification)."""

    def notify_completed(self, participant) -> None:
        """Told once when a participant says they finished (`/worker_complete`), inside that
        request's transaction, before their status changes; any call to a platform is sent
        after commit."""

    def rejects_questionnaire_from(self, participant) -> str | None:
        """An error message if this participant may no longer submit a questionnaire, else None."""
        return None

    def submitted_event(self) -> str | None:
        """The notification event that finishing an assignment triggers here (None: the recruiter's
        own service sends it)."""
        return "AssignmentSubmitted"

    def content_security_sources(self) -> dict[str, tuple[str, ...]]:
        """Sources the participant pages must allow for this recruiter, by Content-Security-Policy
        directive: `form-action` for the site participants submit to at the end (the origin of
        `external_submission_url`), `frame-ancestors` for a site that shows the pages in a frame."""
        if not self.external_submission_url:
            return {}
        parts = urlsplit(self.external_submission_url)
        return {"form-action": (f"{parts.scheme}://{parts.netloc}",)}

    def exit_page_context(self, participant) -> dict:
        """What the recruiter-exit page needs to send the participant off."""
        return {"recruiter": self.nickname, "participant": participant}

    def _ad_url(self, mode: str) -> str:
        return (
            f"{self.base_url}/ad?recruiter={self.nickname}&assignmentId={generate_random_id()}"
            f"&hitId={generate_random_id()}&workerId={generate_random_id()}&mode={mode}"
        )


@register
class CLIRecruiter(Recruiter):
    """Writes a new participant URL to the log for each participant requested."""

    nickname = "cli"
    pays_outside = False

    def open_recruitment(self, n: int = 1) -> dict:
        logger.info("Opening recruitment.")
        return {
            "items": self.recruit(n),
            "message": f'Search for "{NEW_RECRUIT_LOG_PREFIX}" in the logs for further recruitment URLs.',
        }

    def recruit(self, n: int = 1) -> list:
        urls = [self._ad_url(self._mode()) for _ in range(n)]
        record_recruitments(self.nickname, len(urls))
        for url in urls:
            logger.info("%s %s", NEW_RECRUIT_LOG_PREFIX, url)
        return urls

    def close_recruitment(self) -> None:
        logger.info(CLOSE_RECRUITMENT_LOG_PREFIX)

    def approve_hit(self, assignment_id: str) -> bool:
        logger.info("Assignment %s has been marked for approval", assignment_id)
        return True

    def reward_bonus(self, participant, amount: float, reason: str) -> None:
        logger.info('Award $%.2f for assignment %s, with reason "%s"', amount, participant.assignment_id, reason)

    def _mode(self) -> str:
        return self.config.get("mode", "debug")


@register
class HotAirRecruiter(CLIRecruiter):
    """The debugging recruiter: like `cli`, but always in debug mode and pays nobody."""

    nickname = "hotair"

    def open_recruitment(self, n: int = 1) -> dict:
        logger.info("Opening recruitment.")
        return {
            "items": self.recruit(n),
            "message": "Recruitment requests will open browser windows automatically.",
        }

    def reward_bonus(self, participant, amount: float, reason: str) -> None:
        logger.info(
            'Were this a real recruiter, it would award $%.2f for assignment %s, with reason "%s"',
            amount,
            participant.assignment_id,
            reason,
        )

    def _mode(self) -> str:
        return "debug"
