"""The payment ledger: one row per payout the platform means to make, written before any call."""

from django.db import models


class Payment(models.Model):
    """One intended payout (a base payment on approval, a bonus, a compensation).

    The row is committed before the recruiter is asked to pay, and its `key` is unique, so
    however many tasks, retries or processes handle a submission, each payout is attempted at
    most once: `intended` → `sending` → `sent` (or `failed`). A row a crash leaves in `sending`
    is never paid again automatically: it becomes `unknown` for the experimenter to check on
    the recruiter's site. Recruiters that pay nothing outside the database (hotair, cli, bots)
    send and record in one transaction, so for them a crash means the payout is simply redone.

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

    key = models.CharField(max_length=255, unique=True, help_text="one payout per key, whatever retries happen")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    participant_id = models.BigIntegerField(null=True, db_index=True)
    worker_id = models.CharField(max_length=100, blank=True, default="")
    assignment_id = models.CharField(max_length=100, blank=True, default="")
    recruiter = models.CharField(max_length=100, blank=True, default="")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    reason = models.TextField(blank=True, default="")
    state = models.CharField(max_length=20, choices=State.choices, default=State.INTENDED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    external_id = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sending_since = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

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
