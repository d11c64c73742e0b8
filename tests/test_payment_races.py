"""Payouts through a platform are made at most once, whatever the races and crashes.

Real processes on the test database and Redis: Celery workers settle a submission whose
recruiter pays through the fake Prolific (a real HTTP server in this process), in Prolific's
two steps for a bonus. The fake's records (`approvals`, `bonus_payments`) count the money
that moved: the same settling task run five times at once pays once; a worker killed in the
middle of a payout never makes it pay twice, and the ledger reconciles the row as its rules
say (back to `intended` when the paying call was never made, `unknown` when it may have been).
"""

import importlib.util
import os
import signal
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from core.models import Notification
from core.record import clear_record
from recruitment.base import RECRUITERS
from recruitment.models import Payment
from recruitment.payments import ledger
from tests.web_servers import server_environment
from tests.workers import start_worker, wait_for

EXPERIMENT = Path(__file__).resolve().parent / "experiments" / "prolific_payouts"
EXPERIMENT_ID = "payment-races"
SETTLE_TASK = "recruitment.tasks.settle_submission"
#: Redis hands a task to another worker when it has been unacknowledged this long.
VISIBILITY_TIMEOUT = 4
BONUS_SETUP = r"^/submissions/bonus-payments/$"
BONUS_PAY = r"^/bulk-bonus-payments/\w+/pay/$"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]


def calls(name: str) -> int:
    return Notification.objects.filter(event_type=f"call:{name}").count()


@pytest.fixture
def platform(fake_prolific, finished_prolific_participant, tmp_path):
    """A finished Prolific submission, owed a base payment and a bonus on the ledger, and the
    environment of worker processes that pay it through the fake: (participant, environment)."""
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        pytest.skip("needs PostgreSQL and Redis")
    from dallinger_project.celery import app

    clear_record()
    app.control.purge()  # tasks other tests left for a worker that never came
    participant = finished_prolific_participant("Payment races", bonus=0.75)
    ledger.settlement_intend(
        participant=participant, recruit="replacement", bonus_reason="Thanks!", experiment_id=EXPERIMENT_ID,
        currency="GBP",
    )  # fmt: skip
    environment = server_environment(settings_dict=dict(connection.settings_dict), experiment=EXPERIMENT)
    environment.update(
        REDIS_URL=os.environ["REDIS_URL"],
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        prolific_api_base_url=fake_prolific.base_url,
        prolific_api_token=fake_prolific.token,
    )
    return participant, environment


def settle(participant) -> None:
    """Queue the settling task for the workers (the test process runs no task itself)."""
    from dallinger_project.celery import app

    app.send_task(SETTLE_TASK, args=[participant.pk])


def bonus() -> Payment:
    return Payment.objects.get(kind="bonus")


def test_the_same_bonus_task_run_five_times_at_once_pays_once(platform, fake_prolific, tmp_path):
    participant, environment = platform
    # The paying calls take a while, so that the five runs overlap in two workers.
    fake_prolific.delay("POST", BONUS_PAY, 1.0)
    fake_prolific.delay("POST", r"/transition/$", 1.0)
    workers = [start_worker(environment, tmp_path / f"worker{n}.log", concurrency=3) for n in (1, 2)]
    try:
        for _ in range(5):
            settle(participant)
        wait_for(lambda: calls("settled") == 5, 120, workers[0], "five settling tasks to end")
    finally:
        for worker in workers:
            worker.stop()

    assert fake_prolific.approvals == [participant.assignment_id]
    assert [(paid, amount) for _, paid, amount in fake_prolific.bonus_payments] == [
        (participant.worker_id, Decimal("0.75"))
    ]
    assert len(fake_prolific.bonus_setups) == 1
    assert dict(Payment.objects.values_list("kind", "state")) == {"base": "sent", "bonus": "sent"}
    assert calls("recruit") == 1


@pytest.mark.parametrize(
    ("killed_in", "paid_by_the_killed_worker", "reconciled_to"),
    [(BONUS_SETUP, 0, Payment.State.INTENDED), (BONUS_PAY, 1, Payment.State.UNKNOWN)],
    ids=["bonus-setup", "bonus-pay"],
)
def test_a_worker_killed_mid_payment_never_pays_twice(
    platform, fake_prolific, tmp_path, killed_in, paid_by_the_killed_worker, reconciled_to
):
    participant, environment = platform
    # The killed worker's call still reaches Prolific, which acts on it after the delay.
    fake_prolific.delay("POST", killed_in, 3.0)
    first = start_worker(environment, tmp_path / "worker1.log", concurrency=1)
    second = None
    try:
        settle(participant)
        wait_for(lambda: fake_prolific.requests_to("POST", killed_in), 60, first, "the bonus call")
        os.killpg(first.pid, signal.SIGKILL)
        first.process.wait()
        assert fake_prolific.wait_idle(30)
        assert len(fake_prolific.bonus_payments) == paid_by_the_killed_worker

        # The unacknowledged task is delivered again to another worker: it recruits, and
        # leaves the interrupted payout alone.
        second = start_worker(environment, tmp_path / "worker2.log", concurrency=1)
        wait_for(lambda: calls("settled") == 1, 120, second, "the settling task to run again")
        assert bonus().state == Payment.State.SENDING
        assert len(fake_prolific.bonus_payments) == paid_by_the_killed_worker

        # Past its lease, the sweep asks the recruiter, which cannot tell from Prolific.
        Payment.objects.filter(kind="bonus").update(sending_since=bonus().sending_since - ledger.SENDING_LEASE * 2)
        counts = ledger.payment_reconcile_stale(recruiter_for=lambda payment: recruiter(environment))
        assert counts[reconciled_to] == 1
        assert bonus().state == reconciled_to

        # Settled once more: a payout back to `intended` is made now, an `unknown` one never.
        settle(participant)
        wait_for(lambda: calls("settled") == 2, 120, second, "the last settling task")
    finally:
        for worker in (first, second):
            if worker is not None:
                worker.stop()

    assert fake_prolific.approvals == [participant.assignment_id]
    assert len(fake_prolific.bonus_payments) == 1
    assert bonus().state == (Payment.State.SENT if reconciled_to == Payment.State.INTENDED else Payment.State.UNKNOWN)
    assert calls("recruit") == 1


def recruiter(environment: dict):
    """The experiment's recruiter, built in this process as the sweep builds it."""
    spec = importlib.util.spec_from_file_location("prolific_payouts_experiment", EXPERIMENT / "experiment.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        config = {key: environment[key] for key in ("prolific_api_base_url", "prolific_api_token")}
        return module.ProlificPayoutsRecruiter(config)
    finally:
        RECRUITERS.pop("prolific_payouts", None)
