"""A payout asked for by hand, sent once through the ledger, and what became of it said plainly."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.models import Participant
from experiments.config import Configuration
from recruitment.base import HotAirRecruiter, RecruiterError
from recruitment.models import Payment
from recruitment.payments import ledger
from recruitment.payments.payouts import PayoutOutcome, payout_intend, payout_send

pytestmark = pytest.mark.django_db


class Platform(HotAirRecruiter):
    """Pays outside the database; `failure` is raised by the next payout (after `paying()`
    when `after_paying`)."""

    nickname = "platform-payouts"
    pays_outside = True

    def __init__(self, *args, failure=None, after_paying=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.failure, self.after_paying, self.paid = failure, after_paying, []

    def send_payment(self, payment, participant, steps):
        if self.failure is not None and not self.after_paying:
            raise self.failure
        steps.paying()
        if self.failure is not None:
            raise self.failure
        self.paid.append(payment.amount)
        return "external-1"


@pytest.fixture
def participant():
    return Participant.objects.create(
        worker_id="w1", assignment_id="a1", unique_id="w1:a1", hit_id="h", mode="debug", recruiter_id="platform"
    )


def intended(participant, key="platform:a1:bonus:k1") -> Payment:
    payment, _ = payout_intend(
        key=key, kind="bonus", recruiter="platform", worker_id="w1", participant=participant,
        amount=Decimal("1.50"), currency="USD", reason="Thanks",
    )  # fmt: skip
    return payment


def recruiter(**kwargs) -> Platform:
    return Platform(Configuration(), **kwargs)


def test_a_payout_is_sent_then_found_sent(participant):
    platform = recruiter()
    payment = intended(participant)

    first = payout_send(payment=payment, recruiter=platform, participant=participant)
    again = payout_send(payment=intended(participant), recruiter=platform, participant=participant)

    assert first.outcome == PayoutOutcome.SENT and first.payment.external_id == "external-1"
    assert again.outcome == PayoutOutcome.ALREADY_SENT
    assert platform.paid == [Decimal("1.50")]


def test_a_stale_row_read_before_another_call_sent_it_pays_nothing_more(participant):
    platform = recruiter()
    stale = intended(participant)
    payout_send(payment=intended(participant), recruiter=platform, participant=participant)

    result = payout_send(payment=stale, recruiter=platform, participant=participant)

    assert result.outcome == PayoutOutcome.ALREADY_SENT and platform.paid == [Decimal("1.50")]


def test_a_payout_being_sent_by_another_call_is_in_progress(participant):
    payment = intended(participant)
    Payment.objects.filter(pk=payment.pk).update(state="sending", sending_since=timezone.now())
    platform = recruiter()

    result = payout_send(payment=payment, recruiter=platform, participant=participant)

    assert result.outcome == PayoutOutcome.IN_PROGRESS and platform.paid == []


def test_a_payout_left_sending_past_its_lease_is_in_doubt(participant):
    payment = intended(participant)
    Payment.objects.filter(pk=payment.pk).update(
        state="sending", sending_since=timezone.now() - ledger.SENDING_LEASE - timedelta(minutes=1)
    )

    result = payout_send(payment=Payment.objects.get(pk=payment.pk), recruiter=recruiter(), participant=participant)

    assert result.outcome == PayoutOutcome.IN_DOUBT


def test_a_platform_not_ready_leaves_the_payout_owed(participant):
    result = payout_send(
        payment=intended(participant), recruiter=recruiter(failure=ledger.PaymentNotReady("still active")),
        participant=participant,
    )  # fmt: skip

    assert result.outcome == PayoutOutcome.NOT_READY and result.error == "still active"
    assert result.payment.state == "intended"


def test_an_error_before_the_paying_call_fails_the_payout(participant):
    result = payout_send(
        payment=intended(participant), recruiter=recruiter(failure=RecruiterError("no study")), participant=participant
    )

    assert (result.outcome, result.error, result.payment.state) == (PayoutOutcome.FAILED, "no study", "failed")
    again = payout_send(payment=result.payment, recruiter=recruiter(), participant=participant)
    assert again.outcome == PayoutOutcome.ENDED_EARLIER


def test_an_error_after_the_paying_call_leaves_it_in_doubt(participant):
    result = payout_send(
        payment=intended(participant), recruiter=recruiter(failure=TimeoutError("read timed out"), after_paying=True),
        participant=participant,
    )  # fmt: skip

    assert (result.outcome, result.error, result.payment.state) == (PayoutOutcome.IN_DOUBT, "read timed out", "sending")


def test_a_budget_cap_refuses_the_payout(participant):
    config = Configuration()
    config.set("max_participant_payment", 1.0)
    platform = Platform(config)

    result = payout_send(payment=intended(participant), recruiter=platform, participant=participant)

    assert result.outcome == PayoutOutcome.FAILED and "max_participant_payment" in result.error
    assert result.payment.state == "refused" and platform.paid == []
