"""A Celery worker killed in the middle of settling submissions loses none and doubles none.

Real processes on the test database and Redis: a web server takes the submissions, a worker
settles them (approve, bonus, recruit) and is killed with SIGKILL while it is busy; another
worker starts. The settlement tasks are acknowledged only when they end, so Redis delivers
the interrupted ones again, and the payment ledger lets the rerun do only what was not done.
"""

import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from core.models import Notification, Participant
from core.record import clear_record
from recruitment.models import Payment
from tests.web_servers import Call, WebServers, holding, server_environment
from tests.workers import start_worker, wait_for

EXPERIMENT = Path(__file__).resolve().parent / "experiments" / "slow_settlement"
SUBMITTERS = 30
#: Redis hands a task to another worker when it has been unacknowledged this long.
VISIBILITY_TIMEOUT = 4

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]


def calls(name: str) -> Counter:
    """How many times the recruiter made the call `name`, per assignment."""
    return Counter(Notification.objects.filter(event_type=f"call:{name}").values_list("assignment_id", flat=True))


def test_a_worker_killed_mid_load_leaves_every_submission_settled_exactly_once(tmp_path):
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        pytest.skip("needs PostgreSQL and Redis")
    from dallinger_project.celery import app

    clear_record()
    app.control.purge()  # tasks other tests left for a worker that never came
    environment = server_environment(settings_dict=dict(connection.settings_dict), experiment=EXPERIMENT)
    environment.update(REDIS_URL=os.environ["REDIS_URL"], CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))
    web = WebServers(count=1, environment=environment, log_dir=tmp_path)
    first = start_worker(environment, tmp_path / "worker1.log")
    second = None
    try:
        assert web.call(Call("POST", "/launch"))[0] == 200
        participant_ids = []
        for number in range(SUBMITTERS):
            status, body = web.call(Call("POST", f"/participant/crash-w{number}/crash-h/crash-a{number}/debug"))
            assert status == 200, body
            participant_ids.append(body["participant"]["id"])

        # Every participant submits; the worker starts settling them, a few at a time.
        for pk in participant_ids:
            status, body = web.call(Call("POST", "/worker_complete", {"participant_id": pk}, holding(pk)))
            assert status == 200, body
        wait_for(lambda: sum(calls("approve_hit").values()) >= 3, 60, first, "the first approvals")

        # When the worker is killed in the middle of it all
        os.killpg(first.pid, signal.SIGKILL)
        first.process.wait()
        assert sum(calls("approve_hit").values()) < SUBMITTERS, "the worker finished before it was killed"
        second = start_worker(environment, tmp_path / "worker2.log")

        # Then another worker settles what was left, and every submission exactly once
        sent = Payment.objects.filter(state=Payment.State.SENT)
        wait_for(lambda: sent.count() == 2 * SUBMITTERS, 120, second, "every payout")
        wait_for(lambda: sum(calls("recruit").values()) >= SUBMITTERS, 30, second, "every recruitment")
        time.sleep(VISIBILITY_TIMEOUT + 1)  # anything delivered twice would have run by now
    finally:
        for worker in (first, second):
            if worker is not None:
                worker.stop()
        web.stop()

    assignments = set(Participant.objects.values_list("assignment_id", flat=True))
    assert set(Participant.objects.values_list("status", flat=True)) == {"approved"}
    assert calls("approve_hit") == Counter(dict.fromkeys(assignments, 1))
    assert calls("reward_bonus") == Counter(dict.fromkeys(assignments, 1))
    assert sum(calls("recruit").values()) == SUBMITTERS
    assert Counter(Payment.objects.values_list("kind", "state")) == {
        ("base", "sent"): SUBMITTERS,
        ("bonus", "sent"): SUBMITTERS,
    }
