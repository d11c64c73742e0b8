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
import zipfile
from collections import defaultdict
from pathlib import Path

import pytest
import requests
from django.core.management import CommandError, call_command

from core.models import Participant
from experiments.bot_classes import bot_class
from experiments.loader import load_experiment
from tests.runs import (
    BASE_DIR,
    PROMPT_EXIT,
    assert_chained,
    assert_run_files_removed,
    assert_succeeded,
    descendants,
    embedded_environment,
    free_port,
    interrupt,
    manage,
    node_of_each_participant,
    read_sqlite_record,
    read_test_database_record,
    run,
    services_environment,
    shared_database_url,
    someone_listens,
    start_run,
    still_alive,
)

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
