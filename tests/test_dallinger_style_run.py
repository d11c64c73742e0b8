"""`runexperiment <folder> --bots 2` on experiments written for Dallinger, run as they are."""

from pathlib import Path

from tests.test_runexperiment import (
    assert_run_files_removed,
    assert_succeeded,
    embedded_environment,
    free_port,
    manage,
    read_sqlite_record,
    run,
)

EXPERIMENTS = Path(__file__).resolve().parent / "experiments"


def test_a_dallinger_experiment_runs_unchanged_to_every_bot_approved(tmp_path, run_tmp):
    # Given an experiment written for Dallinger 12 (dallinger.* and flask imports, class
    # attributes, get_config(load=True), a Flask-style route, a browser BotBase bot, a word
    # list read by a relative path), on the embedded default (SQLite, a folder task queue)
    env = embedded_environment(tmp_path, run_tmp)

    # When two bots take part, the kind of bot not given (it has only a browser bot)
    result = run(manage("runexperiment", str(EXPERIMENTS / "dallinger_style"), "--bots", "2",
                        "--port", str(free_port()), "--timeout", "120"), env)  # fmt: skip

    # Then both are approved, each with a node holding the word its bot checked through the
    # route, which found it in the word list (read from the experiment's folder by the web
    # server, as the bot read it from there in the worker)
    assert_succeeded(result)
    assert "Experiment complete" in result.stdout
    record = read_sqlite_record(tmp_path / "db.sqlite3")
    assert [status for _, status in record["participants"]] == ["approved", "approved"]
    assert sorted(contents for _, _, contents in record["infos"]) == ["lantern:true", "lantern:true"]
    assert len(record["nodes"]) == 2
    assert "server error" not in result.stdout + result.stderr
    assert_run_files_removed(run_tmp)


def test_a_bot_run_in_which_nobody_took_part_fails_and_says_why(tmp_path, run_tmp):
    # Given an experiment with no network that recruits nobody at launch
    env = embedded_environment(tmp_path, run_tmp)

    # When it is run with bots
    result = run(manage("runexperiment", str(EXPERIMENTS / "nobody_comes"), "--bots", "2",
                        "--port", str(free_port()), "--timeout", "120"), env)  # fmt: skip

    # Then the run fails, naming why, and never claims the experiment complete
    assert result.returncode != 0
    assert "Experiment complete" not in result.stdout
    assert (
        "The experiment completed, but nobody took part: no participant was created. The experiment has no "
        "network: set experiment_repeats (or practice_repeats) on its class, or create networks in setup()."
    ) in result.stderr
    assert "Traceback" not in result.stderr
