"""What `runexperiment` tells the experimenter: the launch line of a bot run, where an export
goes, and the server errors it reads from the web server's log."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from experiments.management.commands.runexperiment import Command, Run
from experiments.running.progress import bots_plan
from experiments.running.serverlog import ServerLog

# The launch line ------------------------------------------------------------------------


def test_a_chain_that_recruits_one_bot_per_submission_says_how_many_will_come_and_how():
    # Bartlett1932 with --bots 3: the launch recruits one, recruit() one more per submission
    plan = bots_plan(limit=3, recruited=1, places=3, recruits_more=True, at_once=4)

    assert plan == (
        "3 bots will take part: 1 recruited now, the others as the experiment recruits more after each submission."
    )


def test_fewer_places_than_bots_means_fewer_bots():
    assert bots_plan(limit=10, recruited=1, places=3, recruits_more=True, at_once=4).startswith("3 bots will take part")


def test_bots_all_recruited_at_the_launch():
    plan = bots_plan(limit=20, recruited=20, places=20, recruits_more=False, at_once=8)

    assert plan == "20 bots will take part, all recruited now; the worker runs up to 8 at a time."


def test_an_experiment_that_recruits_nobody_after_the_launch_says_the_limit_is_not_reached():
    plan = bots_plan(limit=3, recruited=1, places=5, recruits_more=False, at_once=4)

    assert plan == "1 bot will take part: the experiment recruits nobody after the launch, so --bots 3 is not reached."


def test_a_launch_that_recruits_nobody_says_so():
    assert bots_plan(limit=3, recruited=0, places=5, recruits_more=True, at_once=4).startswith("no bot was recruited")


# Where --export writes --------------------------------------------------------------------


def export_path(given) -> Path:
    run = Run(Command(), {"port": 8000, "export": given})
    run.loaded = SimpleNamespace(name="bartlett1932")
    return run.export_path()


def test_an_export_to_a_path_ending_with_a_slash_goes_into_that_folder(tmp_path):
    assert export_path(f"{tmp_path}/new/") == tmp_path / "new" / "bartlett1932-data.zip"


def test_an_export_to_an_existing_folder_goes_into_it(tmp_path):
    assert export_path(str(tmp_path)) == tmp_path / "bartlett1932-data.zip"


def test_an_export_to_a_file_name_is_written_there(tmp_path):
    assert export_path(str(tmp_path / "mine.zip")) == tmp_path / "mine.zip"


# Server errors in the web server's log ------------------------------------------------------

CAUSE = "server error on POST /node/3: OperationalError: database is locked"


@pytest.fixture
def web_log(tmp_path):
    path = tmp_path / "web.log"
    path.write_bytes(b"")

    def write(text: str) -> None:
        with open(path, "a") as log:
            log.write(text)

    return path, write


def test_causes_are_read_as_they_are_written_and_lines_only_once_complete(web_log):
    path, write = web_log
    log = ServerLog(path)
    write('127.0.0.1:5000 - - [06/Dec/2026:21:39:13] "POST /node/2" 200 308\n')
    write(f"2026-12-06 21:39:13,500 ERROR dallinger_project.server_errors: {CAUSE[:20]}")

    assert log.read() == []  # half a line: not yet

    write(f"{CAUSE[20:]}\n")
    assert log.read() == [CAUSE]
    assert log.read() == []
    assert log.had_server_errors


def test_a_5xx_answer_without_a_cause_line_still_counts(web_log):
    path, write = web_log
    log = ServerLog(path)
    write('127.0.0.1:5000 - - [06/Dec/2026:21:39:13] "GET /summary" 502 20\n')

    log.read()

    assert log.had_server_errors
    assert log.errors_without_cause == 1


def test_answers_below_500_are_not_server_errors(web_log):
    path, write = web_log
    log = ServerLog(path)
    write('127.0.0.1:5000 - - [06/Dec/2026:21:39:13] "POST /node/2" 403 20\n')
    write('127.0.0.1:5000 - - [06/Dec/2026:21:39:13] "GET /info/500" 200 20\n')

    assert log.read() == []
    assert not log.had_server_errors
