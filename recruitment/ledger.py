"""Writing the payment ledger and settling a submission's payouts, each at most once."""

import logging
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.models import Participant
from recruitment.models import Payment, SubmissionSettlement

logger = logging.getLogger(__name__)

#: A payout left `sending` longer than this was cut short by a crash (a live one takes seconds).
SENDING_LEASE = timedelta(minutes=10)
#: A submission still owing something this long after it was processed lost its task.
SETTLEMENT_GRACE = timedelta(minutes=15)


def assignment_key(participant) -> str:
    """What identifies a participant's assignment to their recruiter: recruiter and assignment id."""
    return f"{participant.recruiter_id or 'hotair'}:{participant.assignment_id}"


def settlement_intend(*, participant, recruit: str, bonus_reason: str | None) -> None:
    """Write down what a processed submission owes (inside the submission's transaction): the
    base payment, the bonus when there is a reason to pay one, and the recruitment that follows.
    Written again for the same assignment, it changes nothing. Two statements: submissions are
    on the participant flow's hot path."""
    key = assignment_key(participant)
    payments = [_payment(participant, Payment.Kind.BASE, participant.base_pay or 0)]
    if bonus_reason is not None:
        payments.append(_payment(participant, Payment.Kind.BONUS, participant.bonus or 0, reason=bonus_reason))
    Payment.objects.bulk_create(payments, ignore_conflicts=True)
    SubmissionSettlement.objects.bulk_create(
        [SubmissionSettlement(key=key, participant_id=participant.pk, recruit=recruit)], ignore_conflicts=True
    )


def payment_key(participant, kind: str) -> str:
    """The ledger key of `participant`'s payout of `kind`: one per assignment and kind."""
    return f"{assignment_key(participant)}:{kind}"


def _payment(participant, kind: str, amount, *, reason: str = "") -> Payment:
    return Payment(
        key=payment_key(participant, kind),
        kind=kind,
        participant_id=participant.pk,
        worker_id=participant.worker_id or "",
        assignment_id=participant.assignment_id or "",
        recruiter=(participant.recruiter_id or "hotair").split(":", 1)[0],
        amount=Decimal(str(amount)).quantize(Decimal("0.01")),
        reason=reason or "",
    )


def payments_due(*, participant, kinds) -> list[Payment]:
    """The participant's payouts of these kinds that are still to be made, oldest first."""
    keys = [payment_key(participant, kind) for kind in kinds]
    return list(Payment.objects.filter(key__in=keys, state=Payment.State.INTENDED))


def payment_send(*, payment_id: int, send, external: bool) -> Payment:
    """Make the payout of ledger row `payment_id` with `send(payment)` (the recruiter's call,
    which may return the platform's id for it), unless it was made or begun before.

    `external`: the call moves money outside this database. Then the row is marked `sending`
    and committed before the call, so a crash during the call leaves it `sending`, and it is
    never sent again (see `payment_reconcile_stale`). Otherwise the call and the record are one
    transaction: a crash rolls both back and the payout is redone whole.
    Errors from `send` mark the row `failed` (with the error) and are raised again.
    """
    if not external:
        try:
            with transaction.atomic():
                payment = Payment.objects.select_for_update().get(pk=payment_id)
                if payment.state != Payment.State.INTENDED:
                    return payment
                return _sent(payment, send(payment))
        except Exception as error:
            _failed(payment_id, error)
            raise
    with transaction.atomic():
        claimed = Payment.objects.filter(pk=payment_id, state=Payment.State.INTENDED).update(
            state=Payment.State.SENDING, sending_since=timezone.now(), attempts=F("attempts") + 1
        )
    payment = Payment.objects.get(pk=payment_id)
    if not claimed:
        return payment
    try:
        external_id = send(payment)
    except Exception as error:
        _failed(payment_id, error)
        raise
    with transaction.atomic():
        return _sent(Payment.objects.select_for_update().get(pk=payment_id), external_id)


def _failed(payment_id: int, error: Exception) -> None:
    Payment.objects.filter(pk=payment_id).update(
        state=Payment.State.FAILED, error=f"{type(error).__name__}: {error}"[:2000], updated_at=timezone.now()
    )


def _sent(payment, external_id) -> Payment:
    payment.state = Payment.State.SENT
    payment.sent_at = timezone.now()
    if not payment.attempts:
        payment.attempts = 1
    if external_id:
        payment.external_id = str(external_id)[:255]
    payment.save(update_fields=["state", "sent_at", "attempts", "external_id", "updated_at"])
    return payment


def payment_reconcile_stale() -> int:
    """Mark payouts left `sending` past their lease as `unknown`: a crash cut them short, and
    only the recruiter's own records can say whether the money moved. Returns how many."""
    cutoff = timezone.now() - SENDING_LEASE
    stale = Payment.objects.filter(state=Payment.State.SENDING, sending_since__lt=cutoff)
    count = stale.update(state=Payment.State.UNKNOWN, error="interrupted while sending", updated_at=timezone.now())
    if count:
        logger.warning("%s payout(s) were interrupted while sending: check them on the recruiter's site.", count)
    return count


def settlement_claim_recruitment(*, participant) -> str | None:
    """Inside a transaction: claim the recruitment that follows this submission; its kind
    (`more` or `replacement`), or None if there is none or it was claimed before."""
    settlement = SubmissionSettlement.objects.select_for_update().filter(key=assignment_key(participant)).first()
    if settlement is None or settlement.recruited_at is not None or settlement.recruit == SubmissionSettlement.Recruit.NONE:
        return None
    settlement.recruited_at = timezone.now()
    settlement.save(update_fields=["recruited_at"])
    return settlement.recruit


def settlements_overdue(*, older_than: timedelta = SETTLEMENT_GRACE, limit: int = 100) -> list[int]:
    """Participants whose submissions still owe something (a payout not begun, or the
    recruitment that follows) well after they were processed: their settling task was lost
    (a broker that restarted without its data, a queue folder removed). Their ids.

    The ledger outlives a cleared record, whose ids start again: a settlement counts only while
    its participant id still names the participant of its assignment.
    """
    cutoff = timezone.now() - older_than
    owing_payments = Payment.objects.filter(state=Payment.State.INTENDED, created_at__lt=cutoff)
    owing_keys = {key.rsplit(":", 1)[0] for key in owing_payments.values_list("key", flat=True)[:limit]}
    unrecruited = Q(recruited_at=None) & ~Q(recruit=SubmissionSettlement.Recruit.NONE)
    settlements = SubmissionSettlement.objects.filter(Q(key__in=owing_keys) | unrecruited, created_at__lt=cutoff)
    settlements = list(settlements.order_by("id")[:limit])
    participants = Participant.objects.in_bulk([settlement.participant_id for settlement in settlements])
    return sorted(
        settlement.participant_id
        for settlement in settlements
        if settlement.participant_id in participants
        and assignment_key(participants[settlement.participant_id]) == settlement.key
    )
