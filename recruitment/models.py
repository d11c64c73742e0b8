"""The payment ledger: one row per payout the platform means to make, written before any call."""

from django.db import models


class Payment(models.Model):
    """One intended payout (a base payment on approval, a bonus, a compensation).

    The row is committed before the recruiter is asked to pay, and its `key` is unique, so
    however many tasks, retries or processes handle a submission, each payout is attempted at
    most once: `intended` → `sending` → `sent` (or `failed`; `refused` when a budget cap
    forbids it). The moment before the call that moves money is recorded (`pay_called_at`); a
    row a crash leaves in `sending` after it is never paid again automatically: it is checked
    against the recruiter's records, or becomes `unknown` for the experimenter to check on the
    recruiter's site. A payout made in two steps (Prolific's bonus) keeps the id of the first
    (`setup_id`), so resuming it never prepares or pays a second one. Recruiters that pay
    nothing outside the database (hotair, cli, bots) send and record in one transaction, so
    for them a crash means the payout is simply redone.

    Participants are named by id and assignment, not by a foreign key: the ledger outlives a
    cleared record.
    """

    class Kind(models.TextChoices):
        BASE = "base", "base payment (approval)"
        BONUS = "bonus", "bonus"
        COMPENSATION = "compensation", "compensation"

    class State(models.TextChoices):
        INTENDED = "intended"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"
        UNKNOWN = "unknown"
        REFUSED = "refused"

    key = models.CharField(max_length=255, unique=True, help_text="one payout per key, whatever retries happen")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    participant_id = models.BigIntegerField(null=True, db_index=True)
    worker_id = models.CharField(max_length=100, blank=True, default="")
    assignment_id = models.CharField(max_length=100, blank=True, default="")
    recruiter = models.CharField(max_length=100, blank=True, default="")
    experiment = models.CharField(max_length=100, blank=True, default="", help_text="the experiment's id")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    reason = models.TextField(blank=True, default="")
    state = models.CharField(max_length=20, choices=State.choices, default=State.INTENDED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    external_id = models.CharField(max_length=255, blank=True, default="")
    setup_id = models.CharField(
        max_length=255, blank=True, default="", help_text="the platform's id of a payout prepared but not yet paid"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sending_since = models.DateTimeField(null=True, blank=True)
    pay_called_at = models.DateTimeField(
        null=True, blank=True, help_text="when the call that moves the money was about to be made"
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    #: Not a column: True on the row `ledger.payment_send` returns when that call made the payout
    #: (False when it found the payout made, begun or ended by another).
    sent_now = False

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} for {self.assignment_id or self.participant_id} ({self.state})"


class SubmissionSettlement(models.Model):
    """What remains to be done after a participant's submission was processed: their payouts
    (Payment rows) and, once, the recruitment that follows it (`recruit`: more participants as
    the experiment decides, one replacement, or none)."""

    class Recruit(models.TextChoices):
        MORE = "more"
        REPLACEMENT = "replacement"
        NONE = "none"

    key = models.CharField(max_length=255, unique=True, help_text="the recruiter and the assignment")
    participant_id = models.BigIntegerField(db_index=True)
    recruit = models.CharField(max_length=20, choices=Recruit.choices)
    recruited_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class ProlificStudy(models.Model):
    """The Prolific study an experiment recruits through (one per experiment id), kept in the
    database so that every process, and a restarted one, finds it."""

    experiment = models.CharField(max_length=100, unique=True, help_text="the experiment's id")
    study_id = models.CharField(max_length=64, unique=True)
    workspace_id = models.CharField(max_length=64, blank=True, default="")
    project_id = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=40, blank=True, default="")
    currency = models.CharField(max_length=3, default="GBP")
    completion_codes = models.JSONField(default=dict, help_text="completion code by code type")
    external_study_url = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "Prolific studies"

    def __str__(self) -> str:
        return f"Prolific study {self.study_id} ({self.status or 'unknown status'})"


class WebhookEvent(models.Model):
    """A platform's webhook delivery, kept once per event id: a redelivered event changes nothing.

    `applied` marks the events whose effect was applied; an event older (`timestamp`) than the
    last applied one for the same resource is ignored, as deliveries may arrive out of order.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending"
        APPLIED = "applied"
        STALE = "stale"
        IGNORED = "ignored"
        FAILED = "failed"

    source = models.CharField(max_length=20, default="prolific")
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=100)
    resource_id = models.CharField(max_length=255, db_index=True)
    timestamp = models.BigIntegerField(help_text="when the platform sent the event (UNIX seconds)")
    body = models.JSONField(default=dict)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.PENDING)
    error = models.TextField(blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "event_id"], name="webhook_event_once")]

    def __str__(self) -> str:
        return f"{self.source} {self.event_type} {self.resource_id} ({self.outcome})"


class LedgerNotice(models.Model):
    """A notice to the experimenter about money (a budget threshold reached), sent once per key."""

    key = models.CharField(max_length=255, unique=True)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.message


class RecruitmentRefusal(models.Model):
    """Places a recruiter was asked for and the budget did not allow, with the reason.

    Kept beside the payouts rather than as Payment rows: a refused place is money never
    committed to anyone, so it has no participant, key or state to move through.
    """

    experiment = models.CharField(max_length=100, blank=True, default="", help_text="the experiment's id")
    recruiter = models.CharField(max_length=100)
    requested = models.PositiveIntegerField(help_text="places asked for")
    allowed = models.PositiveIntegerField(help_text="places the budget allowed")
    price = models.DecimalField(max_digits=12, decimal_places=2, help_text="the base payment of one place")
    currency = models.CharField(max_length=3, blank=True, default="")
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.requested - self.allowed} of {self.requested} {self.recruiter} place(s) refused"


class MTurkHit(models.Model):
    """The Mechanical Turk HIT an experiment recruits through (one per experiment id), kept in
    the database so that every process, and a restarted one, finds it."""

    experiment = models.CharField(max_length=100, unique=True, help_text="the experiment's id")
    hit_id = models.CharField(max_length=64, unique=True)
    hit_type_id = models.CharField(max_length=64)
    sandbox = models.BooleanField(default=True, help_text="whether the HIT is in MTurk's sandbox")
    topic_arn = models.CharField(max_length=255, blank=True, default="", help_text="the SNS topic of its notifications")
    worker_url = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Mechanical Turk HIT"

    def __str__(self) -> str:
        return f"{'sandbox ' if self.sandbox else ''}HIT {self.hit_id}"


class ExperimenterEmail(models.Model):
    """An email to the experimenter (recruitment/notices): written once per key, sent by a task.

    The unique key is what makes a notice go out once however many processes notice the same
    thing (two clock runs, two budget checks); the row is the outbox the sending task claims.
    """

    class State(models.TextChoices):
        WAITING = "waiting", "waiting to be sent"
        SENDING = "sending", "claimed by a task"
        SENT = "sent", "sent"
        NOT_SENT = "not_sent", "could not be sent (see error)"

    key = models.CharField(max_length=255, unique=True, help_text="one email per key")
    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.WAITING)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject} ({self.state})"


class SnsMessage(models.Model):
    """An Amazon SNS message delivered to `/mturk-sns-listener` and verified, kept once per
    MessageId: SNS delivers at least once, so a message delivered again changes nothing."""

    message_id = models.CharField(max_length=100, unique=True)
    message_type = models.CharField(max_length=40, help_text="Notification, SubscriptionConfirmation, ...")
    topic_arn = models.CharField(max_length=400)
    body = models.JSONField(default=dict, help_text="the message as SNS sent it")
    received_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="when the subscription this message asked for was confirmed"
    )

    class Meta:
        verbose_name = "SNS message"

    def __str__(self) -> str:
        return f"SNS {self.message_type} {self.message_id}"
