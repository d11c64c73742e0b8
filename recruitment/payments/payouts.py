"""Payouts an experimenter asks for by hand (compensations, bonuses, approvals), each once per key.

Each is written on the payment ledger (recruitment/payments/ledger.py) under an idempotency key before
anything is sent, and sent through `ledger.payment_send`: running the same command again
finds the row and pays nothing more.
"""

import hashlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

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
