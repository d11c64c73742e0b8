"""The background task that settles a submission with the participant's recruiter."""

import pytest

from core.models import Participant
from experiments import tasks
from recruitment.base import RECRUITERS, HotAirRecruiter, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing_approvals():
    """A recruiter whose approvals fail; the calls it received, in order."""
    calls = []

    class FailingApprovals(HotAirRecruiter):
        nickname = "failing_approvals"

        def approve_hit(self, assignment_id):
            calls.append(("approve_hit", assignment_id))
            raise RuntimeError("the recruiter's site is down")

        def reward_bonus(self, participant, amount, reason):
            calls.append(("reward_bonus", amount, reason))

        def recruit(self, n=1):
            calls.append(("recruit", n))
            return []

    register(FailingApprovals)
    yield calls
    del RECRUITERS["failing_approvals"]


def submitted(recruiter_id: str, bonus: float) -> Participant:
    return Participant.objects.create(
        worker_id="w", assignment_id="a", unique_id="w:a", hit_id="h", mode="debug",
        recruiter_id=recruiter_id, status="approved", bonus=bonus,
    )  # fmt: skip


def test_a_failed_approval_still_pays_the_bonus_and_recruits_then_fails_the_task(failing_approvals):
    participant = submitted("failing_approvals", bonus=0.25)

    with pytest.raises(RuntimeError, match="site is down"):
        tasks.settle_submission(participant.pk, "Thanks!", tasks.RECRUIT_REPLACEMENT)

    assert failing_approvals == [("approve_hit", "a"), ("reward_bonus", 0.25, "Thanks!"), ("recruit", 1)]


def test_without_a_bonus_reason_no_bonus_is_paid(failing_approvals):
    participant = submitted("failing_approvals", bonus=0.25)

    with pytest.raises(RuntimeError):
        tasks.settle_submission(participant.pk, None, "none")

    assert failing_approvals == [("approve_hit", "a")]


def test_the_task_that_pays_is_acknowledged_on_receipt_so_never_runs_twice():
    # With acknowledgement after the task, a worker killed while recruiting would have the
    # message delivered again, approving and paying the bonus a second time.
    assert tasks.settle_submission.acks_late is False
