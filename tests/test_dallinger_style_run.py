"""`runexperiment <folder> --bots 2` on experiments written for Dallinger, run as they are."""

import json
import sqlite3
from pathlib import Path

from tests.runs import (
    assert_run_files_removed,
    assert_succeeded,
    embedded_environment,
    free_port,
    manage,
    node_of_each_participant,
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


def test_a_dallinger_websocket_chat_runs_unchanged_to_every_bot_approved(tmp_path, run_tmp):
    # Given a chat written for Dallinger 12 (a waiting room of two, a ReconnectingWebSocket on
    # the experiment's channel, `receive_message` saving through db.session, control events,
    # db.redis_conn.publish, BusyForm), on the embedded default (no Redis: the relay)
    env = embedded_environment(tmp_path, run_tmp)

    # When two browser bots take part, each saying hello until it hears the other
    result = run(manage("runexperiment", str(EXPERIMENTS / "dallinger_chat"), "--bots", "2",
                        "--port", str(free_port()), "--timeout", "150"), env)  # fmt: skip

    # Then both are approved, and what they said went over the socket into the record: infos
    # from both nodes, transmitted only to the other participant's node
    assert_succeeded(result)
    assert "2 approved" in result.stdout
    record = read_sqlite_record(tmp_path / "db.sqlite3")
    assert [status for _, status in record["participants"]] == ["approved", "approved"]
    node_of = node_of_each_participant(record)
    origin_of = {info_id: origin_id for info_id, origin_id, _ in record["infos"]}
    assert set(origin_of.values()) == set(node_of.values())
    assert all(contents.startswith("hello number ") for _, _, contents in record["infos"])
    assert record["transmissions"]
    assert all(destination != origin_of[info] for info, destination, _ in record["transmissions"])
    # and the control events marked both nodes unsubscribed as they left, the last leaving
    # completed the network (where the experiment also announced it with redis_conn.publish)
    with sqlite3.connect(tmp_path / "db.sqlite3") as database:
        nodes = dict(database.execute("SELECT id, details FROM node").fetchall())
        networks = [details for (details,) in database.execute("SELECT details FROM network").fetchall()]
    assert {json.loads(details)["subscribed"] for details in nodes.values()} == {False}
    assert [json.loads(details) for details in networks] == [{"completed": True}]
    assert "server error" not in result.stdout + result.stderr
    assert_run_files_removed(run_tmp)
