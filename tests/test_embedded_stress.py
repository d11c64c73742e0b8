"""The embedded default under stress answers no request with a server error (5xx).

Many HTTP bots at once (the worker runs eight), their background tasks, platform events
posted by the test, another process taking the database's write lock every moment, and a
server restart (a second run on the same database, set up again from scratch), all on one
CPU shared with a busy loop. Everything is real: `runexperiment`'s web server and worker,
the SQLite file, the folder task queue.

A transaction that reads and then asks for the write lock fails at once with "database is
locked" when another writer holds it (SQLite does not wait in that case), so the other
writer makes such a transaction fail every time, not only when the timing is unlucky.
"""

import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.runs import assert_run_files_removed, embedded_environment, free_port, manage, run

SWARM = Path(__file__).parent / "experiments" / "swarm"
BOTS = 16
WORKER_THREADS = 8
#: How long the other writer holds the write lock, and how long it lets go between.
HOLD_SECONDS = 0.1
RELEASE_SECONDS = 0.25
#: Events that change nothing a bot relies on: accepted (for bots that exist), and the
#: others for participants that do not exist (the task looks and logs a warning).
EVENTS = [("AssignmentAccepted", range(1, BOTS + 1))] + [
    (event, range(1000, 1010)) for event in ("AssignmentSubmitted", "AssignmentReturned", "NotificationMissing")
]


@pytest.fixture
def one_busy_cpu():
    """Confine this process, and so every process the test starts, to one CPU, and keep that
    CPU busy with a loop that competes with them for it."""
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {max(cpus)})
    busy_loop = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        busy_loop.kill()
        busy_loop.wait()
        os.sched_setaffinity(0, cpus)


class PlatformEvents(threading.Thread):
    """Recruiter notifications and progress polls sent all along; the statuses answered."""

    def __init__(self, base_url: str):
        super().__init__(daemon=True)
        self.base_url = base_url
        self.answers: list[tuple[str, int]] = []
        self.finished = threading.Event()

    def run(self) -> None:
        session = requests.Session()
        while not self.finished.is_set():
            event, participant_ids = random.choice(EVENTS)
            fields = {"Event.1.EventType": event, "participant_id": str(random.choice(participant_ids))}
            self.send(session, "POST", "/notifications", fields)
            self.send(session, "GET", "/summary", None)
            time.sleep(0.05)

    def send(self, session, method, path, data) -> None:
        try:
            response = session.request(method, self.base_url + path, data=data, timeout=60)
        except requests.ConnectionError:
            time.sleep(0.1)  # the server is restarting
            return
        self.answers.append((f"{method} {path}", response.status_code))


class OtherWriter(threading.Thread):
    """Another process's writer: holds the database's write lock for short spells, over and over."""

    def __init__(self, database: Path):
        super().__init__(daemon=True)
        self.database = database
        self.finished = threading.Event()
        self.spells = 0

    def run(self) -> None:
        while not self.finished.is_set():
            if not self.database.exists():
                time.sleep(0.1)
                continue
            writer = sqlite3.connect(self.database, timeout=30, isolation_level=None)
            try:
                writer.execute("BEGIN IMMEDIATE")
                time.sleep(HOLD_SECONDS)
                writer.execute("COMMIT")
                self.spells += 1
            finally:
                writer.close()
            time.sleep(RELEASE_SECONDS)


def test_many_bots_events_another_writer_and_a_restart_on_a_busy_cpu_get_no_5xx(tmp_path, run_tmp, one_busy_cpu):
    port = free_port()
    env = embedded_environment(tmp_path, run_tmp)
    database = tmp_path / "db.sqlite3"
    command = manage("runexperiment", str(SWARM), "--bots", str(BOTS), "--set", f"places={BOTS}",
                     "--workers", str(WORKER_THREADS), "--port", str(port), "--timeout", "50")  # fmt: skip
    events = PlatformEvents(f"http://127.0.0.1:{port}")
    writer = OtherWriter(database)
    events.start()
    writer.start()
    try:
        # When the swarm runs, then runs again after a restart (a fresh record: set up anew)
        first = run(command, env, timeout=90)
        second = run(command, env, timeout=90)
    finally:
        events.finished.set()
        writer.finished.set()
        events.join()
        writer.join()

    # Then both runs ended well, with every bot approved (none gave up on failing requests)
    for result in (first, second):
        assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
        assert f"participants  {BOTS} approved\n" in result.stdout, result.stdout
        # And the web server answered no request with a server error: runexperiment reads
        # its log for them, prints each, and would have kept the logs
        assert "server error" not in result.stdout + result.stderr
    assert_run_files_removed(run_tmp)
    # And the test's own requests got no server error either
    assert events.answers, "no platform event reached the server"
    assert [answer for answer in events.answers if answer[1] >= 500] == []
    assert writer.spells > 0
