"""Sending, at the experimenter's request, every payout the payment ledger says is owed."""

import logging
from collections import Counter
from dataclasses import dataclass, field

from core.models import Participant
from recruitment.base import RecruiterError
from recruitment.models import Payment
from recruitment.payments import ledger, payouts
from recruitment.payments.payouts import PayoutOutcome
from recruitment.recruiters import participant_recruiter

logger = logging.getLogger(__name__)

#: The most payouts one request sends (the rest wait for the next request or the periodic settling).
MAX_SENT = 500


@dataclass
class OwedPayoutsResult:
    """How many owed payouts ended how: `outcomes` counts PayoutOutcome values, plus `resumed`
    (interrupted payouts the ledger put back to owed) and `no_recruiter` (payouts of no
    participant of this record, or of a recruiter that is not configured)."""

    outcomes: Counter = field(default_factory=Counter)
    resumed: int = 0
    in_doubt: int = 0
    no_recruiter: int = 0

    def message(self) -> str:
        """The outcome in one sentence for the experimenter."""
        sent = self.outcomes[PayoutOutcome.SENT]
        parts = [f"Sent {sent} owed payout{'s' if sent != 1 else ''}"]
        if self.resumed:
            parts.append(f"{self.resumed} of them interrupted earlier and resumed")
        elsewhere = self.outcomes[PayoutOutcome.ALREADY_SENT] + self.outcomes[PayoutOutcome.IN_PROGRESS]
        if elsewhere:
            parts.append(f"{elsewhere} paid or being paid by another request (nothing more paid)")
        if self.outcomes[PayoutOutcome.NOT_READY]:
            parts.append(f"{self.outcomes[PayoutOutcome.NOT_READY]} not ready yet (still owed)")
        failed = self.outcomes[PayoutOutcome.FAILED] + self.outcomes[PayoutOutcome.ENDED_EARLIER]
        if failed:
            parts.append(f"{failed} not paid (see the payment ledger's errors)")
        in_doubt = self.in_doubt + self.outcomes[PayoutOutcome.IN_DOUBT]
        if in_doubt:
            parts.append(f"{in_doubt} may or may not have been paid: check them on the recruiter's site")
        if self.no_recruiter:
            parts.append(f"{self.no_recruiter} without a participant or recruiter here (pay with manage.py compensate)")
        return "; ".join(parts) + "."


def payouts_send_owed(*, experiment) -> OwedPayoutsResult:
    """Send every payout the ledger holds as owed (`intended`), oldest first, each at most once.

    First the payouts an interruption left `sending` past their lease are settled as the ledger
    allows (`ledger.payment_reconcile_stale`: back to owed when the paying call was never made,
    `sent` or `unknown` as the recruiter tells; an `unknown` one is never sent again). Each owed
    payout is then sent through `payouts.payout_send`, which claims its row under a lock: two
    requests at once, or this and the periodic settling, pay it once.
    """
    result = OwedPayoutsResult()

    def recruiter_for(payment):
        participant = Participant.objects.filter(pk=payment.participant_id).first() if payment.participant_id else None
        if participant is None:
            return None, None
        try:
            return participant, participant_recruiter(experiment=experiment, participant=participant)
        except RecruiterError:
            return participant, None

    reconciled = ledger.payment_reconcile_stale(recruiter_for=lambda payment: recruiter_for(payment)[1])
    result.resumed = reconciled[Payment.State.INTENDED]
    result.in_doubt = reconciled[Payment.State.UNKNOWN]
    for payment in Payment.objects.filter(state=Payment.State.INTENDED).order_by("pk")[:MAX_SENT]:
        participant, recruiter = recruiter_for(payment)
        if recruiter is None:
            result.no_recruiter += 1
            continue
        sent = payouts.payout_send(payment=payment, recruiter=recruiter, participant=participant)
        result.outcomes[sent.outcome] += 1
        if sent.outcome == PayoutOutcome.FAILED:
            logger.warning("Owed payout %s was not paid: %s", payment.pk, sent.error)
    return result
