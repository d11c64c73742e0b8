"""`manage.py runexperiment` and `manage.py bot`, run end to end as the experimenter runs them.

Each run is a subprocess (with its own web server and task worker) on a free port, under a
timeout, so that a hang fails its test instead of blocking the suite.
"""

import json
import os
import queue
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import zipfile
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import requests
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from core.models import Participant
from experiments.bot_classes import bot_class
from experiments.loader import load_experiment

BASE_DIR = Path(__file__).resolve().parents[1]
MANAGE = BASE_DIR / "manage.py"
#: Seconds a run that should finish may take before its test fails.
RUN_TIMEOUT = 150
#: Seconds a run may take to stop after Ctrl-C.
PROMPT_EXIT = 20
#: Variables of the test process that must not reach an embedded run.
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "DALLINGER_TASK_QUEUE_DIR", "DALLINGER_EXPERIMENT")


# Environments ---------------------------------------------------------------------------


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


# Bots to the end --------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_http_bots_retell_the_story_along_a_chain_on_postgresql_and_redis(tmp_path, run_tmp):
    # Given PostgreSQL (the test database), Redis, and a chain with five places
    env = services_environment(tmp_path, run_tmp, redis_database=1, num_participants="5")

    # When five HTTP bots take part
    result = run(manage("runexperiment", "bartlett1932", "--bots", "5", "--bot-type", "http",
                        "--port", str(free_port()), "--timeout", "120"), env)  # fmt: skip

    # Then the run ends well, and each bot retold what the previous one wrote
    assert_succeeded(result)
    assert "Database: PostgreSQL; tasks: Redis" in result.stdout
    assert "Experiment complete" in result.stdout
    assert "5 approved" in result.stdout
    assert_chained(read_test_database_record(), length=5)
    assert_run_files_removed(run_tmp)


def test_http_bots_retell_the_story_along_a_chain_on_the_embedded_default(tmp_path, run_tmp):
    # Given no database server and no Redis: an SQLite file and a folder task queue
    env = embedded_environment(tmp_path, run_tmp, num_participants="5")
    database = tmp_path / "db.sqlite3"

    # When five HTTP bots take part, and the data are exported to a folder
    result = run(manage("runexperiment", "bartlett1932", "--bots", "5", "--export", f"{tmp_path / 'exports'}/",
                        "--port", str(free_port()), "--timeout", "120"), env)  # fmt: skip

    # Then the SQLite file holds the same chain, and only its owner may read it
    assert_succeeded(result)
    assert f"Database: SQLite ({database}); tasks: a local queue" in result.stdout
    assert_chained(read_sqlite_record(database), length=5)
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    # And the launch said how many bots would come, and how (the chain recruits one per submission)
    assert (
        "Launched: 5 bots will take part: 1 recruited now, the others as the experiment recruits more "
        "after each submission." in result.stdout
    )
    # And the export is a file in that folder, named after the experiment
    exported = tmp_path / "exports" / "bartlett1932-data.zip"
    assert f"Data exported to {exported}" in result.stdout
    with zipfile.ZipFile(exported) as archive:
        assert "data/participant.csv" in archive.namelist()
    # And, the server having answered no request with an error, its logs are gone
    assert "server error" not in result.stdout + result.stderr
    assert_run_files_removed(run_tmp)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_browser_bots_press_the_button_and_fill_in_the_questionnaire(tmp_path, run_tmp):
    # Given the push-button experiment, and the answers its browser bot gives
    answers = bot_class(load_experiment("pushbutton").module, "browser").question_responses
    env = services_environment(tmp_path, run_tmp, redis_database=2)

    # When two browser bots (headless Chromium) take part through the pages
    result = run(manage("runexperiment", "pushbutton", "--bots", "2", "--bot-type", "browser",
                        "--port", str(free_port()), "--timeout", "120"), env)  # fmt: skip

    # Then both are approved, each pressed the button once, and the form holds their answers
    assert_succeeded(result)
    record = read_test_database_record()
    assert [status for _, status in record["participants"]] == ["approved", "approved"]
    node_of = node_of_each_participant(record)
    contents_by_origin = defaultdict(list)
    for _, origin_id, contents in record["infos"]:
        contents_by_origin[origin_id].append(contents)
    assert [contents_by_origin[node_of[participant_id]] for participant_id, _ in record["participants"]] == [
        ["Submitted"],
        ["Submitted"],
    ]
    questionnaires = {
        participant_id: json.loads(response)
        for participant_id, question, response in record["questions"]
        if question == "questionnaire"
    }
    assert set(questionnaires) == {participant_id for participant_id, _ in record["participants"]}
    for questionnaire in questionnaires.values():
        assert {name: questionnaire.get(name) for name in answers} == {
            name: str(value) for name, value in answers.items()
        }


# Ctrl-C ---------------------------------------------------------------------------------


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


def test_ctrl_c_during_a_bot_run_stops_it_and_every_process_it_started(tmp_path, run_tmp):
    # Given a long bot run (fifty places) that has launched and is recruiting
    port = free_port()
    process, output = start_run(
        ["bartlett1932", "--bots", "50", "--port", str(port), "--timeout", "120"],
        embedded_environment(tmp_path, run_tmp, num_participants="50"),
    )
    try:
        output.wait_for("^Launched")
        output.wait_for(r"\b[1-9][0-9]* approved")  # bots are taking part
        children = descendants(process.pid)
        assert len(children) >= 2, output.text()  # the web server and the worker

        # When the experimenter presses Ctrl-C
        took = interrupt(process, output, children)
    finally:
        if process.poll() is None:
            process.kill()

    # Then the run stops at once, says so, exits 130, and leaves nothing running
    assert process.returncode == 130, output.text()
    assert took < PROMPT_EXIT
    assert "Stopping." in output.text()
    assert "Traceback" not in output.text()
    assert still_alive(children) == []
    assert not someone_listens(port)
    assert_run_files_removed(run_tmp)


def dashboard_login_succeeds(base_url: str, username: str, password: str) -> bool:
    """Whether the dashboard's login form accepts `username` and `password`."""
    with requests.Session() as browser:
        form = browser.get(f"{base_url}/dashboard/login/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        answer = browser.post(
            f"{base_url}/dashboard/login/?next=/dashboard/",
            data={"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/dashboard/"},
            timeout=30,
        )
    return answer.ok and answer.url.endswith("/dashboard/")


def test_ctrl_c_stops_a_run_for_people_cleanly(tmp_path, run_tmp):
    # Given a run serving people (no bots, no browser opened), with a dashboard user configured
    port = free_port()
    env = embedded_environment(tmp_path, run_tmp)
    arguments = ["pushbutton", "--no-browser", "--port", str(port), "--set", "dashboard_user=experimenter"]
    process, output = start_run(arguments, env)
    children: set = set()
    try:
        output.wait_for(r"^Press Ctrl-C to stop\.")
        children = descendants(process.pid)
        assert len(children) >= 2, output.text()
        assert someone_listens(port)
        # whose printed login opens the dashboard
        login = re.search(r"^Dashboard: (\S+)/dashboard/ \(user experimenter, password (\S+)\)$", output.text(), re.M)
        assert login, output.text()
        assert dashboard_login_succeeds(login.group(1), "experimenter", login.group(2))
        # and the password, printed once for whoever started the run, is in none of its processes' logs
        logs = [path for path in run_tmp.rglob("*.log") if path.is_file()]
        assert logs, list(run_tmp.rglob("*"))
        assert [path.name for path in logs if login.group(2).encode() in path.read_bytes()] == []
        assert output.text().count(login.group(2)) == 1

        # When the experimenter presses Ctrl-C
        took = interrupt(process, output, children)
    finally:
        if process.poll() is None:  # the test failed before Ctrl-C: leave no server behind
            process.kill()
            for pid in still_alive(children):
                os.kill(pid, signal.SIGKILL)

    # Then it stops cleanly: exit 0, no process left, the port free
    assert process.returncode == 0, output.text()
    assert took < PROMPT_EXIT
    assert still_alive(children) == []
    assert not someone_listens(port)
    assert_run_files_removed(run_tmp)


def test_ctrl_c_stops_every_process_even_when_the_output_has_gone(tmp_path, run_tmp):
    # Given a run serving people whose output nobody reads any more (its terminal closed)
    port = free_port()
    process = subprocess.Popen(
        manage("runexperiment", "pushbutton", "--no-browser", "--port", str(port)),
        env=embedded_environment(tmp_path, run_tmp), cwd=BASE_DIR, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    children: set = set()
    try:
        for line in process.stdout:
            if line.startswith("Press Ctrl-C to stop."):
                break
        children = descendants(process.pid)
        assert len(children) >= 2
        process.stdout.close()

        # When it is interrupted (so that writing "Stopping." fails)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=PROMPT_EXIT)
        left = still_alive(children)
    finally:
        if process.poll() is None:
            process.kill()
        for pid in still_alive(children):
            os.kill(pid, signal.SIGKILL)

    # Then it stopped everything it started all the same
    assert left == []
    assert not someone_listens(port)


# Server errors --------------------------------------------------------------------------

BROKEN_ROUTE = BASE_DIR / "tests" / "experiments" / "broken_route"


def test_a_server_error_is_printed_as_it_happens_and_its_logs_are_kept(tmp_path, run_tmp):
    # Given a run serving people, with an experiment whose route /broken always fails
    from tests.experiments.broken_route.experiment import FAILURE

    port = free_port()
    process, output = start_run(
        [str(BROKEN_ROUTE), "--no-browser", "--port", str(port)], embedded_environment(tmp_path, run_tmp)
    )
    try:
        output.wait_for(r"^Press Ctrl-C to stop\.")

        # When a request to it is answered 500
        assert requests.get(f"http://127.0.0.1:{port}/broken", timeout=30).status_code == 500

        # Then the console says so at once, with the request and the error
        output.wait_for(rf"server error on GET /broken: RuntimeError: {FAILURE}$")
        interrupt(process, output, descendants(process.pid))
    finally:
        if process.poll() is None:
            process.kill()

    # And the run, once stopped, keeps its processes' logs and says where
    assert process.returncode == 0, output.text()
    kept = re.search(r"server error \(5xx\); the processes' logs are kept in (\S+)", output.text())
    assert kept, output.text()
    web_log = Path(kept[1]) / "web.log"
    assert f"RuntimeError: {FAILURE}" in web_log.read_text()
    assert web_log.parent.parent == run_tmp


# Mistakes -------------------------------------------------------------------------------


def assert_refused_with(result: subprocess.CompletedProcess, *phrases: str) -> None:
    """A non-zero exit with a readable message (no traceback) that contains `phrases`."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr


def test_an_unknown_experiment_is_named_in_a_readable_message(tmp_path, run_tmp):
    result = run(manage("runexperiment", "no-such-experiment", "--bots", "1", "--port", str(free_port())),
                 embedded_environment(tmp_path, run_tmp), timeout=60)  # fmt: skip

    assert_refused_with(result, "No experiment 'no-such-experiment'", "bartlett1932")
    assert "logs are in" not in result.stderr  # no process was started, so there are no logs
    assert_run_files_removed(run_tmp)


def test_a_port_in_use_is_named_in_a_readable_message(tmp_path, run_tmp):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(manage("runexperiment", "pushbutton", "--bots", "1", "--port", str(port)),
                     embedded_environment(tmp_path, run_tmp), timeout=60)  # fmt: skip

    assert_refused_with(result, f"Port {port} is already in use", "--port")
    assert_run_files_removed(run_tmp)


def test_zero_bots_is_refused_with_a_readable_message(tmp_path, run_tmp):
    result = run(manage("runexperiment", "pushbutton", "--bots", "0", "--port", str(free_port())),
                 embedded_environment(tmp_path, run_tmp), timeout=60)  # fmt: skip

    assert_refused_with(result, "--bots needs a positive number")


# manage.py bot --------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_bot_command_takes_part_against_a_running_server(
    live_server, transactional_db, use_experiment, tmp_path, run_tmp
):
    # Given a launched push-button experiment on a live server
    use_experiment("pushbutton")
    launched = requests.post(f"{live_server.url}/launch", timeout=30)
    assert launched.json()["status"] == "success", launched.text

    # When one HTTP bot is sent to it from the command line
    env = embedded_environment(tmp_path, run_tmp, DATABASE_URL=shared_database_url())
    result = run(manage("bot", "pushbutton", "--url", live_server.url), env, timeout=60)

    # Then it completes, and the server approved it
    assert_succeeded(result)
    assert "The bot completed as participant" in result.stdout
    participant = Participant.objects.get()
    assert result.stdout.strip().endswith(f"participant {participant.pk}.")
    assert participant.status == "approved"
    assert [info.contents for info in participant.infos()] == ["Submitted"]


def test_the_bot_command_refuses_an_unknown_experiment():
    with pytest.raises(CommandError, match="No experiment 'no-such-experiment'"):
        call_command("bot", "no-such-experiment", "--url", "http://127.0.0.1:9")


def test_the_bot_command_refuses_an_experiment_without_that_kind_of_bot():
    experiment = BASE_DIR / "tests" / "experiments" / "ten_slots"

    with pytest.raises(CommandError, match="defines no browser bot"):
        call_command("bot", str(experiment), "--url", "http://127.0.0.1:9", "--bot-type", "browser")


# The folder task queue ------------------------------------------------------------------


def test_the_folder_queue_takes_a_message_only_once_its_writer_has_written_it(tmp_path):
    from kombu import Connection

    from experiments.running.taskqueue import Transport

    folder = tmp_path / "tasks"
    folder.mkdir()
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder), "control_folder": str(folder / "c")}
    with Connection(transport=Transport, transport_options=options) as broker:
        tasks = broker.SimpleQueue("tasks")
        # Given a message whose file its writer has created but not yet written
        tasks.put({"task": "run_bot"})
        (message_file,) = folder.glob("*.msg")
        written = message_file.read_bytes()
        message_file.write_bytes(b"")

        # Then the reader leaves it alone (kombu's own reader took it, and the worker died on it)
        with pytest.raises(queue.Empty):
            tasks.get(block=False)
        assert message_file.exists()

        # And once the writer has written it, the reader takes it whole
        message_file.write_bytes(written)
        assert tasks.get(block=False).payload == {"task": "run_bot"}
        assert not list(folder.glob("*.msg"))
        tasks.close()


def test_bots_never_hold_up_the_experiments_own_tasks(tmp_path, run_tmp):
    # Given an experiment that answers its bots from a background task, and one thread for bots
    env = embedded_environment(tmp_path, run_tmp)
    echo_room = BASE_DIR / "tests" / "experiments" / "echo_room"

    # When two bots take part, each waiting for its answer while it runs
    result = run(manage("runexperiment", str(echo_room), "--bots", "2", "--workers", "1",
                        "--port", str(free_port()), "--timeout", "120"), env)  # fmt: skip

    # Then every bot was answered (the experiment's task did not wait behind the running bot)
    assert_succeeded(result)
    assert "2 approved" in result.stdout
