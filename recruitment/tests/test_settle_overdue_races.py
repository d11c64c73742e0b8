"""The ledger's periodic reconciliation (`settle_overdue`) run twice at once against PostgreSQL,
as two beat processes or a task delivered twice would: each lost submission settled once, each
interrupted payout reconciled once."""


import pytest
from django.db import connection
from django.utils import timezone

from recruitment import tasks
from recruitment.models import Payment, SubmissionSettlement
from recruitment.payments import ledger
from recruitment.tests.test_tasks import Crash, recruiter_calls, states, submitted  # noqa: F401  (a fixture)
from tests.threads import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def twice_at_once(check) -> list:
    """`check()` twice at once, against PostgreSQL (two threads, two connections); the results."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    return at_once(check, times=2)


def test_two_sweeps_at_once_settle_a_lost_submission_once(recruiter_calls):  # noqa: F811
    submitted("platform")
    long_ago = timezone.now() - ledger.SETTLEMENT_GRACE * 2
    Payment.objects.update(created_at=long_ago)
    SubmissionSettlement.objects.update(created_at=long_ago)

    twice_at_once(tasks.settle_overdue)

    assert sorted(call[0] for call in recruiter_calls) == ["approve_hit", "recruit", "reward_bonus"]
    assert states() == {"base": "sent", "bonus": "sent"}


def test_two_sweeps_at_once_reconcile_an_interrupted_payout_once(recruiter_calls):  # noqa: F811
    participant = submitted("platform")
    recruiter_calls.failures["reward_bonus"] = Crash()
    with pytest.raises(Crash):
        tasks.settle_submission(participant.pk)
    Payment.objects.filter(kind="bonus").update(sending_since=timezone.now() - ledger.SENDING_LEASE * 2)

    results = twice_at_once(lambda: ledger.payment_reconcile_stale(recruiter_for=lambda payment: None))

    assert sorted(result[Payment.State.UNKNOWN] for result in results) == [0, 1]
    assert states()["bonus"] == "unknown"
