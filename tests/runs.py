"""Running `manage.py runexperiment` (and other commands) end to end from tests: environments
for the embedded default and for PostgreSQL with Redis, the run itself under a timeout, its
live output, the processes it started, and the record it left."""

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

from tests.web_servers import free_port  # noqa: F401  (runs take their ports from here too)

BASE_DIR = Path(__file__).resolve().parents[1]
MANAGE = BASE_DIR / "manage.py"
#: Seconds a run that should finish may take before its test fails.
RUN_TIMEOUT = 150
#: Seconds a run may take to stop after Ctrl-C.
PROMPT_EXIT = 20
#: Variables of the test process that must not reach an embedded run.
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "DALLINGER_TASK_QUEUE_DIR", "DALLINGER_EXPERIMENT")


# Environments ---------------------------------------------------------------------------


def embedded_environment(tmp_path: Path, run_tmp: Path, **variables) -> dict:
    """The default set-up: no PostgreSQL, no Redis; an SQLite file in `tmp_path`."""
    env = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
    env.update(DALLINGER_SQLITE_PATH=str(tmp_path / "db.sqlite3"), TMPDIR=str(run_tmp), **variables)
    return env


def shared_database_url() -> str:
    """The URL of pytest-django's test database, which the subprocesses must share."""
    database = connection.settings_dict
    assert connection.vendor == "postgresql", "run the tests with scripts/test (PostgreSQL and Redis)"
    credentials = quote(database["USER"] or "", safe="")
    if database["PASSWORD"]:
        credentials += ":" + quote(database["PASSWORD"], safe="")
    host = database["HOST"] or "127.0.0.1"
    return f"postgres://{credentials}@{host}:{database['PORT'] or 5432}/{quote(database['NAME'], safe='')}"


def redis_url(database_number: int) -> str:
    """The test Redis server, on a database of its own so no task of another run lingers in it."""
    assert settings.REDIS_URL, "run the tests with scripts/test (PostgreSQL and Redis)"
    parts = urlsplit(settings.REDIS_URL)
    return urlunsplit(parts._replace(path=f"/{database_number}"))


def services_environment(tmp_path: Path, run_tmp: Path, redis_database: int, **variables) -> dict:
    """PostgreSQL (the test database) and Redis, as a deployment uses them."""
    env = embedded_environment(tmp_path, run_tmp, **variables)
    env.update(DATABASE_URL=shared_database_url(), REDIS_URL=redis_url(redis_database))
    return env


# Running --------------------------------------------------------------------------------


def manage(*arguments) -> list[str]:
    """The command line of `manage.py <arguments>` with this Python."""
    return [sys.executable, str(MANAGE), *arguments]


def run(arguments: list[str], env: dict, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
    """Run a command to its end; on a timeout, stop it (and so its children) and fail the test."""
    process = subprocess.Popen(
        arguments, env=env, cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGTERM)  # runexperiment stops its children on SIGTERM
        try:
            stdout, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
        pytest.fail(f"{' '.join(arguments[2:])} did not finish in {timeout} s.\n{stdout}\n{stderr}")
    return subprocess.CompletedProcess(arguments, process.returncode, stdout, stderr)


def assert_succeeded(result: subprocess.CompletedProcess) -> None:
    """Exit status 0, or fail showing the command's output."""
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


class LiveOutput:
    """The output of a running subprocess, line by line, read in a thread so waits can time out."""

    def __init__(self, process: subprocess.Popen):
        self.lines: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, args=(process.stdout,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, pattern: str, timeout: float = 90) -> None:
        """Wait for a line matching the regular expression `pattern`; fail the test if the
        output ends or time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"No {pattern!r} within {timeout} s:\n{self.text()}")
            if line is None:
                pytest.fail(f"The output ended before {pattern!r}:\n{self.text()}")
            if re.search(pattern, line):
                return

    def text(self) -> str:
        """Everything printed so far."""
        return "".join(self.lines)


# Processes ------------------------------------------------------------------------------


def process_table() -> dict[int, tuple[int, str, int]]:
    """Every process now: pid → (parent pid, state, start time), from /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # it ended while we looked
        fields = stat.rpartition(")")[2].split()  # after "pid (name)": state, ppid, ..., starttime
        table[int(entry)] = (int(fields[1]), fields[0], int(fields[19]))
    return table


def descendants(root: int) -> set[tuple[int, int]]:
    """The processes `root` started, directly or not, as (pid, start time) pairs."""
    table = process_table()
    found: set[int] = set()
    parents = {root}
    while parents:
        children = {pid for pid, (parent, _, _) in table.items() if parent in parents} - found
        found |= children
        parents = children
    return {(pid, table[pid][2]) for pid in found}


def still_alive(processes: set[tuple[int, int]]) -> list[int]:
    """Those of `processes` that still run (the same pid and start time, and not a zombie)."""
    table = process_table()
    return [pid for pid, started in processes if pid in table and table[pid][2] == started and table[pid][1] != "Z"]


def someone_listens(port: int) -> bool:
    """Whether a server accepts connections on `port`."""
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def interrupt(process: subprocess.Popen, output: LiveOutput, children: set) -> float:
    """Send Ctrl-C (SIGINT) and wait for the run to exit; the seconds it took."""
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=PROMPT_EXIT)
    except subprocess.TimeoutExpired:
        process.kill()
        for pid in still_alive(children):
            os.kill(pid, signal.SIGKILL)
        pytest.fail(f"The run did not stop within {PROMPT_EXIT} s of SIGINT:\n{output.text()}")
    return time.monotonic() - sent


# The record -----------------------------------------------------------------------------


def read_record(cursor) -> dict:
    """The rows the checks need, read with plain SQL (a Django cursor, or sqlite3's)."""

    def rows(sql):
        cursor.execute(sql)
        return cursor.fetchall()

    return {
        "participants": rows("SELECT id, status FROM participant ORDER BY id"),
        "nodes": rows("SELECT id, participant_id, type FROM node WHERE NOT failed ORDER BY id"),
        "infos": rows("SELECT id, origin_id, contents FROM info WHERE NOT failed ORDER BY id"),
        "transmissions": rows("SELECT info_id, destination_id, status FROM transmission ORDER BY id"),
        "questions": rows("SELECT participant_id, question, response FROM question ORDER BY id"),
    }


def read_sqlite_record(path: Path) -> dict:
    """`read_record` from an embedded run's SQLite file."""
    import sqlite3

    with sqlite3.connect(path) as database:
        return read_record(database.cursor())


def read_test_database_record() -> dict:
    """`read_record` from the test database (PostgreSQL)."""
    with connection.cursor() as cursor:
        return read_record(cursor)


def node_of_each_participant(record: dict) -> dict[int, int]:
    """participant id → the id of their one node (fails if anyone has none or several)."""
    nodes: dict[int, list[int]] = defaultdict(list)
    for node_id, participant_id, _ in record["nodes"]:
        if participant_id is not None:
            nodes[participant_id].append(node_id)
    participant_ids = [participant_id for participant_id, _ in record["participants"]]
    assert {participant_id: len(nodes[participant_id]) for participant_id in participant_ids} == dict.fromkeys(
        participant_ids, 1
    )
    return {participant_id: node_ids[0] for participant_id, node_ids in nodes.items()}


def assert_chained(record: dict, length: int) -> None:
    """`length` approved participants, each of whose nodes received exactly the one info the
    previous participant's node made (the first participant's, the source's)."""
    assert [status for _, status in record["participants"]] == ["approved"] * length
    sources = [node_id for node_id, participant_id, _ in record["nodes"] if participant_id is None]
    assert len(sources) == 1, record["nodes"]
    node_of = node_of_each_participant(record)
    made = defaultdict(list)
    for info_id, origin_id, _ in record["infos"]:
        made[origin_id].append(info_id)
    received = defaultdict(list)
    for info_id, destination_id, status in record["transmissions"]:
        if status == "received":
            received[destination_id].append(info_id)

    previous = sources[0]
    for participant_id, _ in record["participants"]:
        node = node_of[participant_id]
        assert len(made[previous]) == 1, f"node {previous} made {made[previous]}"
        assert received[node] == made[previous], f"participant {participant_id}'s node {node}"
        previous = node
    assert len(made[previous]) == 1, "the last participant retold the story too"


def assert_run_files_removed(run_tmp: Path) -> None:
    """The run removed its folder (logs, task queue) when it ended."""
    assert not list(run_tmp.glob("dallinger-run-*")), "the run left its folder behind"


def start_run(arguments: list[str], env: dict) -> tuple[subprocess.Popen, LiveOutput]:
    """Start `runexperiment <arguments>` and follow its output (standard error included)."""
    process = subprocess.Popen(
        manage("runexperiment", *arguments),
        env=env,
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, LiveOutput(process)
