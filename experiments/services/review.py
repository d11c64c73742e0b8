"""An experimenter's review of a participant: approve, reject, or pay a bonus, through the
participant's recruiter and the payment ledger (each payout at most once, however often the
request is repeated)."""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.models import Participant, ParticipantStatus
from recruitment.base import RecruiterError
from recruitment.models import Payment, SubmissionSettlement
from recruitment.payments import ledger, payouts
from recruitment.payments.payouts import PayoutOutcome
from recruitment.recruiters import nickname_of, participant_recruiter

#: The longest reason kept for a bonus or a rejection.
MAX_REASON_LENGTH = 1000
#: What a request key looks like: made by the form that asks for the payout, so that the same
#: form submitted twice names the same payout.
REQUEST_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")
#: Ledger states in which an approval was made or may have been: a rejection cannot follow.
APPROVAL_BEGUN = (Payment.State.SENDING, Payment.State.SENT, Payment.State.UNKNOWN)


class ReviewInputError(ValueError):
    """An amount, reason or key that cannot be used; nothing was changed."""


@dataclass(frozen=True)
class ReviewResult:
    """What became of one participant: `level` is "success", "info" (nothing to do), "warning"
    (owed, not paid yet) or "error" (not done), and `message` says it in a sentence."""

    participant_id: int
    level: str
    message: str
    payment: Payment | None = None


def bonus_input(*, amount, reason, request_key) -> tuple[Decimal, str, str]:
    """The checked amount, reason and request key of a bonus; ReviewInputError otherwise."""
    try:
        amount = payouts.amount_parse(amount)
    except payouts.PayoutInputError as error:
        raise ReviewInputError(str(error)) from None
    reason = reason_input(reason)
    if not isinstance(request_key, str) or not REQUEST_KEY.fullmatch(request_key):
        raise ReviewInputError("This form has expired: open it again from the list.")
    return amount, reason, request_key


def reason_input(reason) -> str:
    """A reason: some text, at most MAX_REASON_LENGTH characters; ReviewInputError otherwise."""
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ReviewInputError("Give a reason.")
    if len(reason) > MAX_REASON_LENGTH:
        raise ReviewInputError(f"The reason is longer than {MAX_REASON_LENGTH} characters.")
    return reason


def bonus_key(participant, request_key: str) -> str:
    """The ledger key of the bonus a request (`request_key`) asks for `participant`."""
    return f"{ledger.assignment_key(participant)}:bonus:dashboard:{request_key}"


def participant_bonus(*, experiment, participant_id: int, amount, reason, request_key) -> ReviewResult:
    """Pay the participant a bonus of `amount` (in their recruiter's currency) for `reason`,
    once per `request_key`: the same request made again pays nothing more. ReviewInputError
    for a bad amount, reason or key, before anything is written."""
    amount, reason, request_key = bonus_input(amount=amount, reason=reason, request_key=request_key)
    participant = Participant.objects.filter(pk=participant_id).first()
    if participant is None:
        return ReviewResult(participant_id, "error", f"There is no participant {participant_id}.")
    recruiter = _recruiter(experiment, participant)
    if isinstance(recruiter, ReviewResult):
        return recruiter
    payment, _ = payouts.payout_intend(
        key=bonus_key(participant, request_key),
        kind=Payment.Kind.BONUS,
        recruiter=nickname_of(participant.recruiter_id),
        worker_id=participant.worker_id or "",
        participant=participant,
        amount=amount,
        currency=recruiter.currency,
        reason=reason,
        experiment_id=str(experiment.config.get("id", "") or ""),
    )
    result = payouts.payout_send(payment=payment, recruiter=recruiter, participant=participant)
    return _payout_result(participant, result, "bonus")


def participant_approve(*, experiment, participant_id: int) -> ReviewResult:
    """Approve the participant's work: their status becomes `approved` and their base payment
    is made through their recruiter, once per assignment (an approval made when the
    submission was processed is never made again). A payout the platform is not ready for
    stays owed and is sent later, as a submission's would be."""
    with transaction.atomic():
        participant = Participant.objects.select_for_update().filter(pk=participant_id).first()
        if participant is None:
            return ReviewResult(participant_id, "error", f"There is no participant {participant_id}.")
        if participant.status == ParticipantStatus.REJECTED:
            return ReviewResult(
                participant.pk, "error", f"Participant {participant.pk} was rejected: they cannot be approved."
            )
        recruiter = _recruiter(experiment, participant)
        if isinstance(recruiter, ReviewResult):
            return recruiter
        if participant.base_pay is None:
            participant.base_pay = experiment.config.get("base_payment")
        participant.end_time = participant.end_time or timezone.now()
        participant.status = ParticipantStatus.APPROVED
        participant.save(update_fields=["base_pay", "end_time", "status"])
        ledger.settlement_intend(
            participant=participant,
            recruit=SubmissionSettlement.Recruit.NONE,
            bonus_reason=None,
            experiment_id=str(experiment.config.get("id", "") or ""),
            currency=recruiter.currency,
        )
    payment = Payment.objects.get(key=ledger.payment_key(participant, Payment.Kind.BASE))
    result = payouts.payout_send(payment=payment, recruiter=recruiter, participant=participant)
    return _payout_result(participant, result, "approval")


def participant_reject(*, experiment, participant_id: int, message, category: str = "") -> ReviewResult:
    """Reject the participant's work through their recruiter (with `message`, and the
    platform's `category` where it has one): their status becomes `rejected` and a base
    payment not yet begun is cancelled. Refused when the approval was made or may have been.
    ReviewInputError without a message."""
    message = reason_input(message)
    with transaction.atomic():
        participant = Participant.objects.select_for_update().filter(pk=participant_id).first()
        if participant is None:
            return ReviewResult(participant_id, "error", f"There is no participant {participant_id}.")
        if participant.status == ParticipantStatus.REJECTED:
            return ReviewResult(participant.pk, "info", f"Participant {participant.pk} was rejected before.")
        base_key = ledger.payment_key(participant, Payment.Kind.BASE)
        base = Payment.objects.filter(key=base_key).first()
        if base is not None and base.state in APPROVAL_BEGUN:
            return ReviewResult(
                participant.pk,
                "error",
                f"Participant {participant.pk} was approved (base payment {base.state}): they cannot be rejected.",
            )
        recruiter = _recruiter(experiment, participant)
        if isinstance(recruiter, ReviewResult):
            return recruiter
        try:
            # Under the participant's lock: an approval of the same participant waits for it.
            recruiter.reject_assignment(participant, message, category)
        except RecruiterError as error:
            return ReviewResult(participant.pk, "error", f"Participant {participant.pk} was not rejected: {error}")
        participant.status = ParticipantStatus.REJECTED
        participant.end_time = participant.end_time or timezone.now()
        participant.save(update_fields=["status", "end_time"])
        ledger.payment_cancelled(key=base_key, reason=f"the participant was rejected: {message}")
    return ReviewResult(participant.pk, "success", f"Rejected participant {participant.pk}.")


def _recruiter(experiment, participant):
    """The participant's recruiter, or the error result saying why there is none."""
    try:
        return participant_recruiter(experiment=experiment, participant=participant)
    except RecruiterError as error:
        return ReviewResult(participant.pk, "error", f"Participant {participant.pk}: {error} Nothing was done.")


def _payout_result(participant, result: payouts.PayoutResult, what: str) -> ReviewResult:
    payment = result.payment
    subject = f"The {what} of {payment.amount} {payment.currency} for participant {participant.pk}"
    row = f"ledger row {payment.pk}"
    outcome = result.outcome
    if outcome == PayoutOutcome.SENT:
        return ReviewResult(participant.pk, "success", f"{subject} was paid ({row}).", payment)
    if outcome == PayoutOutcome.ALREADY_SENT:
        return ReviewResult(participant.pk, "info", f"{subject} was paid before ({row}); nothing more was paid.", payment)
    if outcome == PayoutOutcome.IN_PROGRESS:
        message = f"{subject} is being paid by another request ({row}); nothing more was paid."
        return ReviewResult(participant.pk, "info", message, payment)
    if outcome == PayoutOutcome.NOT_READY:
        reason = result.error or payment.error or "the recruiter is not ready for it"
        message = f"{subject} is not paid yet ({reason}); it stays owed on the ledger ({row})."
        return ReviewResult(participant.pk, "warning", message, payment)
    if outcome == PayoutOutcome.IN_DOUBT:
        reason = result.error or payment.error or "it was interrupted"
        message = (
            f"{subject} may or may not have been paid ({reason}). It is never sent again automatically: "
            f"check on the recruiter's site ({row})."
        )
        return ReviewResult(participant.pk, "error", message, payment)
    if outcome == PayoutOutcome.FAILED:
        return ReviewResult(participant.pk, "error", f"{subject} was not paid: {result.error} ({row}).", payment)
    reason = payment.error or "no reason recorded"
    message = f"{subject} was {payment.state} earlier ({reason}); nothing was done ({row})."
    return ReviewResult(participant.pk, "error", message, payment)
