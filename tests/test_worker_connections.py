"""A Celery worker reuses its threads' database connections from one task to the next.

A real worker process (thread pool, as in the production layout) takes tasks from Redis
and runs them against the test database; PostgreSQL counts the sessions opened meanwhile.
"""

import os
from pathlib import Path

import pytest
from django.db import connection

from core.models import Notification, Participant
from core.record import clear_record
from recruitment.payments.ledger import settlement_intend
from tests.web_servers import server_environment
from tests.workers import start_worker, wait_for

EXPERIMENT = Path(__file__).resolve().parent / "experiments" / "fifty_slots"
TASKS = 40
THREADS = 2

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    # The tests' session runs tasks eagerly; send_task goes to the broker all the same.
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]


def sessions_opened() -> int:
    """Sessions PostgreSQL has opened on this database since its statistics began."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_a_worker_runs_many_tasks_on_a_few_database_connections(tmp_path):
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        pytest.skip("needs PostgreSQL and Redis")
    clear_record()
    # A processed submission per task, each owing the recruitment that follows it.
    participant_ids = []
    for number in range(TASKS + 1):
        participant = Participant.objects.create(
            worker_id=f"w{number}", assignment_id=f"a{number}", unique_id=f"w{number}:a{number}", hit_id="h",
            mode="debug", recruiter_id="hotair", status="approved",
        )  # fmt: skip
        settlement_intend(participant=participant, recruit="more", bonus_reason=None)
        participant_ids.append(participant.pk)
    environment = server_environment(settings_dict=dict(connection.settings_dict), experiment=EXPERIMENT)
    environment["REDIS_URL"] = os.environ["REDIS_URL"]
    queue = f"connections-{os.getpid()}"
    worker = start_worker(environment, tmp_path / "worker.log", concurrency=THREADS, queue=queue)
    try:
        from dallinger_project.celery import app

        # The worker's first task sets the experiment up; wait for it before counting.
        app.send_task("recruitment.tasks.settle_submission", (participant_ids[0],), queue=queue)
        recruits = Notification.objects.filter(event_type="call:recruit")
        wait_for(lambda: recruits.count() == 1, 60, worker, "the first task")
        before = sessions_opened()

        for participant_id in participant_ids[1:]:
            app.send_task("recruitment.tasks.settle_submission", (participant_id,), queue=queue)
        wait_for(lambda: recruits.count() == 1 + TASKS, 60, worker, "every task")

        opened = sessions_opened() - before
    finally:
        worker.stop()
    # Our own statistics reads add none (this connection is open already); each worker
    # thread may open one connection, and the test's reads of the table above share one.
    assert opened <= THREADS, f"{opened} sessions opened for {TASKS} tasks"
