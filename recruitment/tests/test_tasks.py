"""The background task that settles a submission with the participant's recruiter, from the
payment ledger: each payout at most once, and the recruitment that follows once."""

import pytest
from django.utils import timezone

from core.models import Participant
from recruitment import tasks
from recruitment.base import RECRUITERS, HotAirRecruiter, register
from recruitment.models import Payment, SubmissionSettlement
from recruitment.payments import ledger

pytestmark = pytest.mark.django_db


class Crash(BaseException):
    """The worker dies in the middle of a call (not an error the task could catch)."""


class CallLog(list):
    """Calls in order, and `failures`: call name → the exception its next call raises."""

    def __init__(self):
        super().__init__()
        self.failures = {}


@pytest.fixture
def recruiter_calls():
    """Registers recruiters that record their calls: `platform` pays outside the database,
    `local` does not; `failures` makes a call fail (or crash) once. The calls, in order."""
    calls = CallLog()
    failures = calls.failures

    def recorded(name, *args):
        calls.append((name, *args))
        failure = failures.pop(name, None)
        if failure is not None:
            raise failure

    class Platform(HotAirRecruiter):
        nickname = "platform"
        pays_outside = True

        def approve_hit(self, assignment_id):
            recorded("approve_hit", assignment_id)
            return True

        def reward_bonus(self, participant, amount, reason):
            recorded("reward_bonus", amount, reason)
            return "bonus-77"

        def recruit(self, n=1):
            recorded("recruit", n)
            return []

    class Local(Platform):
        nickname = "local"
        pays_outside = False

    for recruiter in (Platform, Local):
        register(recruiter)
    yield calls
    for name in ("platform", "local"):
        del RECRUITERS[name]


def submitted(recruiter_id: str, *, bonus: float = 0.25, recruit="replacement", bonus_reason="Thanks!") -> Participant:
    """A processed submission, with what it owes written in the ledger (as the submission flow does)."""
    participant = Participant.objects.create(
        worker_id="w", assignment_id="a", unique_id="w:a", hit_id="h", mode="debug",
        recruiter_id=recruiter_id, status="approved", bonus=bonus, base_pay=1.0,
    )  # fmt: skip
    ledger.settlement_intend(participant=participant, recruit=recruit, bonus_reason=bonus_reason)
    return participant


def states() -> dict:
    return dict(Payment.objects.values_list("kind", "state"))


def test_the_task_is_acknowledged_when_it_ends_so_a_killed_worker_leaves_it_to_another():
    assert tasks.settle_submission.acks_late is True


def test_it_approves_pays_the_bonus_then_recruits_and_records_each_payout(recruiter_calls):
    participant = submitted("platform")

    tasks.settle_submission(participant.pk)

    assert recruiter_calls == [("approve_hit", "a"), ("reward_bonus", 0.25, "Thanks!"), ("recruit", 1)]
    assert states() == {"base": "sent", "bonus": "sent"}
    bonus = Payment.objects.get(kind="bonus")
    assert (bonus.amount, bonus.reason, bonus.external_id, bonus.attempts) == (ledger.Decimal("0.25"), "Thanks!", "bonus-77", 1)
    assert SubmissionSettlement.objects.get().recruited_at is not None


@pytest.mark.parametrize("recruiter", ["platform", "local"])
def test_run_again_it_pays_and_recruits_nothing_more(recruiter_calls, recruiter):
    participant = submitted(recruiter)
    tasks.settle_submission(participant.pk)

    tasks.settle_submission(participant.pk)
    ledger.settlement_intend(participant=participant, recruit="replacement", bonus_reason="Thanks!")
    tasks.settle_submission(participant.pk)

    assert [call[0] for call in recruiter_calls] == ["approve_hit", "reward_bonus", "recruit"]
    assert Payment.objects.count() == 2


def test_a_refused_approval_still_pays_the_bonus_and_recruits_then_fails_the_task(recruiter_calls):
    participant = submitted("platform")
    recruiter_calls.failures["approve_hit"] = ledger.PaymentRefused("the submission is not awaiting review")

    with pytest.raises(ledger.PaymentRefused, match="not awaiting review"):
        tasks.settle_submission(participant.pk)

    assert [call[0] for call in recruiter_calls] == ["approve_hit", "reward_bonus", "recruit"]
    assert states() == {"base": "failed", "bonus": "sent"}
    assert "not awaiting review" in Payment.objects.get(kind="base").error


def test_an_unexplained_error_from_a_paying_call_is_never_taken_for_a_refusal(recruiter_calls):
    participant = submitted("platform", bonus_reason=None, recruit="none")
    recruiter_calls.failures["approve_hit"] = RuntimeError("connection reset")

    with pytest.raises(RuntimeError):
        tasks.settle_submission(participant.pk)
    tasks.settle_submission(participant.pk)

    assert [call[0] for call in recruiter_calls] == ["approve_hit"]
    base = Payment.objects.get(kind="base")
    assert (base.state, base.error) == ("sending", "RuntimeError: connection reset")


def test_a_payout_not_ready_goes_back_to_intended_and_is_sent_by_a_later_run(recruiter_calls):
    participant = submitted("platform", bonus_reason=None, recruit="none")
    recruiter_calls.failures["approve_hit"] = ledger.PaymentNotReady("still active")

    tasks.settle_submission(participant.pk)  # waiting is not a failure of the task
    assert states() == {"base": "intended"}
    tasks.settle_submission(participant.pk)

    assert [call[0] for call in recruiter_calls] == ["approve_hit", "approve_hit"]
    assert states() == {"base": "sent"}


def test_without_a_bonus_reason_no_bonus_is_owed(recruiter_calls):
    participant = submitted("platform", bonus_reason=None, recruit="none")

    tasks.settle_submission(participant.pk)

    assert recruiter_calls == [("approve_hit", "a")]
    assert states() == {"base": "sent"}


def test_a_crash_during_a_platform_payout_never_pays_it_again(recruiter_calls):
    participant = submitted("platform")
    recruiter_calls.failures["reward_bonus"] = Crash()

    with pytest.raises(Crash):
        tasks.settle_submission(participant.pk)
    tasks.settle_submission(participant.pk)  # the message is delivered again

    assert [call[0] for call in recruiter_calls] == ["approve_hit", "reward_bonus", "recruit"]
    assert states() == {"base": "sent", "bonus": "sending"}
    # Past its lease, the interrupted payout is left for the experimenter to check.
    Payment.objects.filter(kind="bonus").update(sending_since=timezone.now() - ledger.SENDING_LEASE * 2)
    assert ledger.payment_reconcile_stale(recruiter_for=lambda payment: None)[Payment.State.UNKNOWN] == 1
    assert states()["bonus"] == "unknown"


def test_a_crash_during_a_local_payout_rolls_it_back_so_the_rerun_makes_it_once(recruiter_calls):
    participant = submitted("local")
    recruiter_calls.failures["reward_bonus"] = Crash()

    with pytest.raises(Crash):
        tasks.settle_submission(participant.pk)
    assert states() == {"base": "sent", "bonus": "intended"}
    tasks.settle_submission(participant.pk)

    assert [call[0] for call in recruiter_calls] == ["approve_hit", "reward_bonus", "reward_bonus", "recruit"]
    assert states() == {"base": "sent", "bonus": "sent"}


@pytest.mark.parametrize("recruiter", ["platform", "local"])
def test_each_payout_records_the_moment_its_paying_call_was_made(recruiter_calls, recruiter):
    # A local payout saves the moment with the payout itself, in the one transaction of both.
    before = timezone.now()
    participant = submitted(recruiter)

    tasks.settle_submission(participant.pk)

    for payment in Payment.objects.all():
        assert before <= payment.pay_called_at <= payment.sent_at, payment.kind


def test_a_crash_while_recruiting_leaves_the_recruitment_to_the_rerun(recruiter_calls):
    participant = submitted("local")
    recruiter_calls.failures["recruit"] = Crash()

    with pytest.raises(Crash):
        tasks.settle_submission(participant.pk)
    tasks.settle_submission(participant.pk)

    assert [call[0] for call in recruiter_calls] == ["approve_hit", "reward_bonus", "recruit", "recruit"]
    assert SubmissionSettlement.objects.get().recruited_at is not None


def test_the_periodic_sweep_settles_a_submission_whose_task_was_lost(recruiter_calls):
    submitted("local")
    Payment.objects.update(created_at=timezone.now() - ledger.SETTLEMENT_GRACE * 2)
    SubmissionSettlement.objects.update(created_at=timezone.now() - ledger.SETTLEMENT_GRACE * 2)

    assert tasks.settle_overdue() == 1  # the tasks run in the test's process

    assert [call[0] for call in recruiter_calls] == ["approve_hit", "reward_bonus", "recruit"]
    assert tasks.settle_overdue() == 0


def test_the_periodic_sweep_leaves_recent_submissions_to_their_own_task(recruiter_calls):
    submitted("local")

    assert tasks.settle_overdue() == 0
    assert recruiter_calls == []


def test_the_periodic_sweep_runs_in_beat():
    from django.conf import settings

    assert "recruitment.tasks.settle_overdue" in {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}


def test_an_assignment_id_that_begins_like_another_owes_its_own_payouts_only(recruiter_calls):
    participant = submitted("local")
    other = Participant.objects.create(
        worker_id="w2", assignment_id="a:base", unique_id="w2:a:base", hit_id="h", mode="debug",
        recruiter_id="local", status="approved", bonus=0.25, base_pay=1.0,
    )  # fmt: skip
    ledger.settlement_intend(participant=other, recruit="none", bonus_reason=None)

    tasks.settle_submission(participant.pk)

    assert [call[:2] for call in recruiter_calls] == [("approve_hit", "a"), ("reward_bonus", 0.25), ("recruit", 1)]
    assert Payment.objects.get(assignment_id="a:base").state == "intended"


def test_the_sweep_leaves_a_settlement_whose_participant_id_now_names_someone_else(recruiter_calls):
    participant = submitted("local")
    overdue = timezone.now() - ledger.SETTLEMENT_GRACE * 2
    SubmissionSettlement.objects.update(created_at=overdue)
    Payment.objects.update(created_at=overdue)
    # The record is cleared and the id given to another participant; the ledger stays.
    Participant.objects.filter(pk=participant.pk).update(assignment_id="another", unique_id="w:another")

    assert tasks.settle_overdue() == 0
    assert recruiter_calls == []
