"""Payouts an experimenter asks for by hand (compensations, bonuses, approvals), each once per key.

Each is written on the payment ledger (recruitment/payments/ledger.py) under an idempotency key before
anything is sent, and sent through `ledger.payment_send` (by `payout_send`): running the same
command, or submitting the same dashboard form, again finds the row and pays nothing more.
"""

import enum
import hashlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from core.models import Participant
from recruitment.models import Payment
from recruitment.payments import ledger

#: The longest experimenter-chosen key part (the ledger's key column holds 255 characters).
MAX_KEY_LENGTH = 80


class PayoutInputError(ValueError):
    """An amount or key that cannot make a payout."""


@dataclass(frozen=True)
class Assignment:
    """A recruiter's assignment that has no participant row here (an approval or compensation
    of someone the record does not hold): what the ledger's keys are made of."""

    recruiter_id: str
    assignment_id: str
    worker_id: str = ""
    pk: None = None


def amount_parse(text) -> Decimal:
    """A positive amount with at most two decimals; PayoutInputError otherwise."""
    try:
        amount = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        raise PayoutInputError(f"{text!r} is not an amount (e.g. 1.50).") from None
    if not amount.is_finite() or amount <= 0:
        raise PayoutInputError(f"The amount must be more than 0, not {text}.")
    if amount != amount.quantize(Decimal("0.01")):
        raise PayoutInputError(f"The amount {text} has more than two decimals.")
    return amount.quantize(Decimal("0.01"))


def command_payout_key(
    *, recruiter: str, kind: str, study_id: str, worker_id: str, amount: Decimal, reason: str, key: str | None
) -> str:
    """The ledger key of a payout asked for by command: the experimenter's `key`, or one made
    from the amount and reason, so that the same command run twice names the same payout."""
    if key is None:
        key = hashlib.sha256(f"{amount}|{reason}".encode()).hexdigest()[:16]
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or any(character.isspace() for character in key):
        raise PayoutInputError(f"A key is 1 to {MAX_KEY_LENGTH} characters without spaces.")
    return f"{recruiter}:{kind}:{study_id}:{worker_id}:{key}"


def participant_of_worker(*, recruiter: str, worker_id: str):
    """The latest participant this recruiter brought in as `worker_id`, or None."""
    return Participant.objects.filter(worker_id=worker_id, recruiter_id=recruiter).order_by("-id").first()


def participant_of_assignment(*, recruiter: str, assignment_id: str):
    """The participant of this recruiter's assignment, or None."""
    return Participant.objects.filter(assignment_id=assignment_id, recruiter_id=recruiter).order_by("-id").first()


def payout_find(key: str) -> Payment | None:
    """The ledger row with this key, or None."""
    return Payment.objects.filter(key=key).first()


def payout_intend(
    *,
    key: str,
    kind: str,
    recruiter: str,
    worker_id: str,
    assignment_id: str = "",
    participant=None,
    amount: Decimal,
    currency: str,
    reason: str = "",
    experiment_id: str = "",
) -> tuple[Payment, bool]:
    """Write the payout on the ledger unless its key is there already: (row, written now)."""
    return Payment.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "recruiter": recruiter,
            "participant_id": participant.pk if participant is not None else None,
            "worker_id": worker_id,
            "assignment_id": assignment_id or (participant.assignment_id if participant is not None else ""),
            "amount": amount,
            "currency": currency,
            "reason": reason,
            "experiment": experiment_id or "",
        },
    )


def approval_key(*, recruiter: str, assignment_id: str, participant=None) -> str:
    """The ledger key of an assignment's base payment, as submission processing names it, so
    an approval made there is never made again by hand (and the other way round)."""
    return ledger.payment_key(participant or Assignment(recruiter, assignment_id), Payment.Kind.BASE)


def approval_intend(
    *, recruiter: str, assignment_id: str, worker_id: str, participant, amount, currency: str, experiment_id: str = ""
) -> tuple[Payment, bool]:
    """Write the base payment of an assignment approved by hand unless it is on the ledger."""
    key = approval_key(recruiter=recruiter, assignment_id=assignment_id, participant=participant)
    return payout_intend(
        key=key,
        kind=Payment.Kind.BASE,
        recruiter=recruiter,
        worker_id=worker_id,
        assignment_id=assignment_id,
        participant=participant,
        amount=Decimal(str(amount or 0)).quantize(Decimal("0.01")),
        currency=currency,
        experiment_id=experiment_id,
    )


class PayoutOutcome(enum.StrEnum):
    """What became of a payout asked for by hand."""

    #: Paid by this call.
    SENT = "sent"
    #: Paid before this call; nothing more was paid.
    ALREADY_SENT = "already_sent"
    #: Another call is paying it at this moment; nothing more was paid.
    IN_PROGRESS = "in_progress"
    #: The platform is not ready for it (nothing sent); it stays owed on the ledger.
    NOT_READY = "not_ready"
    #: This call or an earlier one was cut short after the paying call: it may have been
    #: made. Never sent again automatically; check on the recruiter's site.
    IN_DOUBT = "in_doubt"
    #: Not paid by this call: the platform refused it, an error came before the paying call,
    #: or a budget cap forbids it (`error` says which).
    FAILED = "failed"
    #: It failed or was refused earlier (`payment.error` says why); nothing was done.
    ENDED_EARLIER = "ended_earlier"


@dataclass(frozen=True)
class PayoutResult:
    """A payout's ledger row after `payout_send`, what became of it, and the error this call
    met, if any."""

    payment: Payment
    outcome: PayoutOutcome
    error: str = ""


def payout_state(payment: Payment) -> PayoutResult:
    """What a ledger row's state says about its payout, for a call that pays nothing (the
    result's `error` is empty: an earlier error is the row's own `error`)."""
    state = payment.state
    if state == Payment.State.SENT:
        return PayoutResult(payment, PayoutOutcome.ALREADY_SENT)
    if state == Payment.State.SENDING and payment.sending_since and (
        timezone.now() - payment.sending_since < ledger.SENDING_LEASE
    ):
        return PayoutResult(payment, PayoutOutcome.IN_PROGRESS)
    if state in (Payment.State.SENDING, Payment.State.UNKNOWN):
        return PayoutResult(payment, PayoutOutcome.IN_DOUBT)
    if state == Payment.State.INTENDED:
        return PayoutResult(payment, PayoutOutcome.NOT_READY)
    return PayoutResult(payment, PayoutOutcome.ENDED_EARLIER)


def payout_send(*, payment: Payment, recruiter, participant) -> PayoutResult:
    """Make the payout of ledger row `payment` once, through `ledger.payment_send`, and say
    what became of it; never raises for the payout's own errors (they are in the result).

    The row was written by the caller (`payout_intend`, `approval_intend`, ...). Two calls for
    the same row at once pay once: the other learns that it was paid, or is being paid.
    """
    if payment.state != Payment.State.INTENDED:
        return payout_state(payment)
    try:
        sent = ledger.payment_send(payment_id=payment.pk, recruiter=recruiter, participant=participant)
    except ledger.PaymentNotReady as error:
        return PayoutResult(_reloaded(payment), PayoutOutcome.NOT_READY, str(error))
    except Exception as error:
        payment = _reloaded(payment)
        outcome = PayoutOutcome.IN_DOUBT if payment.state == Payment.State.SENDING else PayoutOutcome.FAILED
        return PayoutResult(payment, outcome, str(error) or type(error).__name__)
    if sent.sent_now:
        return PayoutResult(sent, PayoutOutcome.SENT)
    if sent.state == Payment.State.REFUSED:
        # A budget cap refused it as it was claimed, by this call or one just before it.
        return PayoutResult(sent, PayoutOutcome.FAILED, sent.error)
    return payout_state(sent)


def _reloaded(payment: Payment) -> Payment:
    return Payment.objects.get(pk=payment.pk)
