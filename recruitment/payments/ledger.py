"""Writing the payment ledger and settling a submission's payouts, each at most once."""

import logging
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.fetch import by_pk, rows_where, update_returning
from core.locks import lock_keys
from core.models import Participant
from recruitment.models import Payment, SubmissionSettlement
from recruitment.payments.budget import BUDGET_LOCK, budget_may_refuse, budget_refusal

logger = logging.getLogger(__name__)

#: A payout left `sending` longer than this was cut short by a crash (a live one takes seconds).
SENDING_LEASE = timedelta(minutes=10)
#: A submission still owing something this long after it was processed lost its task.
SETTLEMENT_GRACE = timedelta(minutes=15)


def assignment_key(participant) -> str:
    """What identifies a participant's assignment to their recruiter: recruiter and assignment id."""
    return f"{participant.recruiter_id or 'hotair'}:{participant.assignment_id}"


def settlement_intend(
    *, participant, recruit: str, bonus_reason: str | None, experiment_id: str = "", currency: str = "USD"
) -> None:
    """Write down what a processed submission owes (inside the submission's transaction): the
    base payment, the bonus when there is a reason to pay one, and the recruitment that follows.
    Written again for the same assignment, it changes nothing. Two statements: submissions are
    on the participant flow's hot path."""
    key = assignment_key(participant)
    common = {"experiment": experiment_id or "", "currency": currency}
    payments = [_payment(participant, Payment.Kind.BASE, participant.base_pay or 0, **common)]
    if bonus_reason is not None:
        payments.append(
            _payment(participant, Payment.Kind.BONUS, participant.bonus or 0, reason=bonus_reason, **common)
        )
    Payment.objects.bulk_create(payments, ignore_conflicts=True)
    SubmissionSettlement.objects.bulk_create(
        [SubmissionSettlement(key=key, participant_id=participant.pk, recruit=recruit)], ignore_conflicts=True
    )


def payment_key(participant, kind: str) -> str:
    """The ledger key of `participant`'s payout of `kind`: one per assignment and kind."""
    return f"{assignment_key(participant)}:{kind}"


def _payment(participant, kind: str, amount, *, reason: str = "", experiment: str = "", currency: str = "USD") -> Payment:
    return Payment(
        experiment=experiment,
        currency=currency,
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
    if not keys:
        return []
    # Kept SQL (core.fetch): read by the settling task after every submission.
    where = f"key IN ({', '.join(['%s'] * len(keys))}) AND state = %s"
    return rows_where(Payment, where, [*keys, Payment.State.INTENDED], order_by=("id",))


class PaymentNotReady(Exception):
    """The recruiter cannot make this payout yet and sent nothing (e.g. Prolific has not yet
    received the submission it approves): the row goes back to `intended`, to be sent later."""


class PaymentRefused(Exception):
    """The platform refused the payout and paid nothing (e.g. a 4xx answer): the row is `failed`."""


class PaymentSteps:
    """Given to a recruiter making a payout: it records, each committed at once, the id of a
    payout prepared in a first step (`prepared`) and the moment before the call that moves the
    money (`paying`). A crash between the two leaves a payout that is safe to resume.

    For a payout made in one transaction with its record (`in_one_transaction`: a recruiter
    that pays inside this database), nothing can be seen before that transaction commits, so
    the moment of `paying` is kept on the row and saved with the payout, one UPDATE fewer."""

    def __init__(self, payment: Payment, *, in_one_transaction: bool = False):
        self.payment = payment
        self.in_one_transaction = in_one_transaction

    def prepared(self, setup_id: str) -> None:
        """The platform prepared the payout as `setup_id` (nothing paid yet)."""
        self.payment.setup_id = str(setup_id)[:255]
        Payment.objects.filter(pk=self.payment.pk).update(setup_id=self.payment.setup_id, updated_at=timezone.now())

    def paying(self) -> None:
        """The call that moves the money is about to be made: from now on, never repeat it."""
        self.payment.pay_called_at = timezone.now()
        if not self.in_one_transaction:
            Payment.objects.filter(pk=self.payment.pk).update(pay_called_at=self.payment.pay_called_at, updated_at=timezone.now())


def payment_send(*, payment_id: int, recruiter, participant) -> Payment:
    """Make the payout of ledger row `payment_id` through `recruiter.send_payment`, unless it
    was made or begun before.

    For a recruiter that moves money outside this database (`pays_outside`), the row is marked
    `sending` and committed before any call, and the recruiter marks the moment before the call
    that pays (`PaymentSteps.paying`): a crash after it leaves the row `sending`, never sent
    again (see `payment_reconcile_stale`). Otherwise the call and the record are one
    transaction: a crash rolls both back and the payout is redone whole.
    `PaymentNotReady` puts the row back to `intended`; `PaymentRefused`, or any error before
    the paying call, marks it `failed`; an error after the paying call leaves it `sending`
    with the error noted. Errors are raised again.
    """
    if not recruiter.pays_outside:
        try:
            with transaction.atomic():
                payment = _claimable(payment_id, recruiter.config)
                if payment.state != Payment.State.INTENDED:
                    return payment
                steps = PaymentSteps(payment, in_one_transaction=True)
                return _sent(payment, recruiter.send_payment(payment, participant, steps))
        except Exception as error:
            _failed(payment_id, error)
            raise
    with transaction.atomic():
        payment = _claimable(payment_id, recruiter.config)
        if payment.state != Payment.State.INTENDED:
            return payment
        payment.state, payment.sending_since, payment.attempts = Payment.State.SENDING, timezone.now(), payment.attempts + 1
        payment.save(update_fields=["state", "sending_since", "attempts", "updated_at"])
    try:
        external_id = recruiter.send_payment(payment, participant, PaymentSteps(payment))
    except PaymentNotReady as error:
        _back_to_intended(payment_id, f"not ready: {error}")
        raise
    except Exception as error:
        if payment.pay_called_at is None or isinstance(error, PaymentRefused):
            _failed(payment_id, error)
        else:
            # The paying call was made and failed in a way that does not say whether the money
            # moved: the row stays `sending`, for the sweep to ask the recruiter.
            Payment.objects.filter(pk=payment_id).update(error=_describe(error), updated_at=timezone.now())
        raise
    with transaction.atomic():
        return _sent(Payment.objects.select_for_update().get(pk=payment_id), external_id)


def _claimable(payment_id: int, config) -> Payment:
    """Inside a transaction: the row, locked; refused (and saved so) if a budget cap of the
    experiment configured as `config` forbids it. When a cap could refuse it, `BUDGET_LOCK`
    is held to the transaction's end, so two processes claiming at once cannot both fit under
    a cap only one fits under."""
    payment = by_pk(Payment, payment_id, lock="update")
    if payment is None:
        raise Payment.DoesNotExist(f"There is no payout {payment_id}.")
    if payment.state == Payment.State.INTENDED and budget_may_refuse(payment, config=config):
        # Taken after the row's lock: whether a cap applies depends on the row's kind. Every
        # claim takes the two in this order, and the caps' checks (budget.py) lock no payout
        # row while holding it, so no two transactions wait on each other.
        lock_keys(BUDGET_LOCK)
        reason = budget_refusal(payment, config=config)
        if reason:
            payment.state, payment.error = Payment.State.REFUSED, reason[:2000]
            payment.save(update_fields=["state", "error", "updated_at"])
            logger.warning("Payout %s refused: %s", payment.key, reason)
    return payment


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def _failed(payment_id: int, error: Exception) -> None:
    Payment.objects.filter(pk=payment_id).update(
        state=Payment.State.FAILED, error=_describe(error), updated_at=timezone.now()
    )


def _back_to_intended(payment_id: int, error: str) -> None:
    Payment.objects.filter(pk=payment_id, state=Payment.State.SENDING).update(
        state=Payment.State.INTENDED, sending_since=None, pay_called_at=None, error=error[:2000], updated_at=timezone.now()
    )


def _sent(payment, external_id) -> Payment:
    payment.sent_now = True
    payment.state = Payment.State.SENT
    payment.sent_at = timezone.now()
    if not payment.attempts:
        payment.attempts = 1
    if external_id:
        payment.external_id = str(external_id)[:255]
    # `pay_called_at` too: a payout made in one transaction (PaymentSteps) saves it here.
    payment.save(update_fields=["state", "sent_at", "attempts", "external_id", "pay_called_at", "updated_at"])
    return payment


def payment_reconcile_stale(*, recruiter_for) -> dict:
    """Settle the payouts left `sending` past their lease (a crash cut them short).

    Nothing was paid for one whose paying call was never begun: it goes back to `intended`
    (a prepared two-step payout keeps its `setup_id`, so resuming it prepares nothing new).
    For the others the recruiter (`recruiter_for(payment)`, or None) is asked whether the money
    moved (`payment_outcome`): yes → `sent`, no → `intended`; when it cannot tell, `unknown`,
    for the experimenter to check on the recruiter's site. Never paid again blindly.
    Returns how many went to each state.
    """
    cutoff = timezone.now() - SENDING_LEASE
    counts = {Payment.State.INTENDED: 0, Payment.State.SENT: 0, Payment.State.UNKNOWN: 0}
    for payment in Payment.objects.filter(state=Payment.State.SENDING, sending_since__lt=cutoff):
        if payment.pay_called_at is None:
            outcome = False
        else:
            recruiter = recruiter_for(payment)
            outcome = recruiter.payment_outcome(payment) if recruiter is not None else None
        state = {True: Payment.State.SENT, False: Payment.State.INTENDED, None: Payment.State.UNKNOWN}[outcome]
        changes = {"state": state, "updated_at": timezone.now()}
        if state == Payment.State.SENT:
            changes["sent_at"] = timezone.now()
        elif state == Payment.State.INTENDED:
            changes.update(sending_since=None, pay_called_at=None, error="resumed after an interruption")
        else:
            changes["error"] = "interrupted while sending: check it on the recruiter's site"
        if Payment.objects.filter(pk=payment.pk, state=Payment.State.SENDING).update(**changes):
            counts[state] += 1
    if counts[Payment.State.UNKNOWN]:
        logger.warning(
            "%s payout(s) were interrupted while sending: check them on the recruiter's site.",
            counts[Payment.State.UNKNOWN],
        )
    return counts


def settlement_claim_recruitment(*, participant) -> str | None:
    """Inside a transaction: claim the recruitment that follows this submission; its kind
    (`more` or `replacement`), or None if there is none or it was claimed before."""
    # One UPDATE ... RETURNING both claims and locks the row to the transaction's end: a second
    # task waits for it, then finds it claimed (or, if this transaction rolls back, claims it).
    claimed = update_returning(
        SubmissionSettlement,
        {"recruited_at": timezone.now()},
        "key = %s AND recruited_at IS NULL AND recruit <> %s",
        [assignment_key(participant), SubmissionSettlement.Recruit.NONE],
    )
    return claimed[0].recruit if claimed else None


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


#: Payout states a platform's own report that it paid may settle: not yet begun, interrupted,
#: or left for the experimenter to check.
CONFIRMABLE = (Payment.State.INTENDED, Payment.State.SENDING, Payment.State.UNKNOWN)


def payment_confirmed(*, key: str, external_id: str = "") -> bool:
    """The platform reports payout `key` made (Prolific says the submission is approved): mark
    it `sent` unless it already ended. Pays nothing; a later task finds nothing left to send.
    Whether it changed the row."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(key=key).first()
        if payment is None or payment.state not in CONFIRMABLE:
            return False
        payment.state, payment.sent_at, payment.error = Payment.State.SENT, timezone.now(), ""
        if external_id and not payment.external_id:
            payment.external_id = str(external_id)[:255]
        payment.save(update_fields=["state", "sent_at", "error", "external_id", "updated_at"])
    logger.info("Payout %s confirmed by the recruiter's own report.", key)
    return True


def payment_cancelled(*, key: str, reason: str) -> bool:
    """The platform says payout `key` can no longer be made (Prolific reports the submission
    rejected): mark it `failed` with `reason` if it was not begun. Whether it changed the row."""
    changed = Payment.objects.filter(key=key, state=Payment.State.INTENDED).update(
        state=Payment.State.FAILED, error=reason[:2000], updated_at=timezone.now()
    )
    if changed:
        logger.warning("Payout %s cancelled: %s", key, reason)
    return bool(changed)
