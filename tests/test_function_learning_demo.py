"""The function_learning demo: its function source, its bot's answers, and a run of two bots."""

import json
import sqlite3

import pytest

from core.models import Info
from experiments.loader import load_experiment
from tests.runs import (
    assert_chained,
    assert_run_files_removed,
    assert_succeeded,
    embedded_environment,
    free_port,
    manage,
    read_sqlite_record,
    run,
)


def demo_module(name: str):
    """A module of the demo's package (`models`, `bots`), as the loader imported it."""
    return load_experiment("function_learning").submodule(name)


def test_the_source_sends_twenty_distinct_points_of_its_function():
    models = demo_module("models")
    for name, function in models.FUNCTIONS.items():
        pairs = models.function_pairs(name)
        assert len(set(pairs["x"])) == len(pairs["x"]) == models.TRAINING_PAIRS
        assert all(models.LOWEST <= x < models.HIGHEST for x in pairs["x"])
        assert pairs["y"] == [round(function(x), 2) for x in pairs["x"]]


def test_an_unknown_function_is_refused_by_name():
    models = demo_module("models")
    source = models.FunctionSource()
    with pytest.raises(ValueError, match="Unknown function 'cubic'"):
        source.function_name = "cubic"


def test_the_bot_answers_by_interpolating_what_it_learned():
    bots = demo_module("bots")
    pairs = {"x": [10, 30, 90], "y": [20, 60, 0]}
    assert bots.interpolate(pairs, 20) == 40
    assert bots.interpolate(pairs, 60) == 30
    assert bots.interpolate(pairs, 5) == 20 and bots.interpolate(pairs, 99) == 0
    answers = bots.test_answers({"x": list(range(1, 21)), "y": list(range(1, 21))}, noise=0)
    assert len(answers["x"]) == len(set(answers["x"])) == 20
    assert len(set(answers["x"]) & set(range(1, 21))) == 10
    assert answers["y"] == [min(x, 20) for x in answers["x"]]


@pytest.mark.django_db
def test_the_chain_starts_from_the_configured_function(use_experiment, client, make_participant):
    use_experiment("function_learning", function="step")
    participant = make_participant()
    node = client.post(f"/node/{participant.pk}").json()["node"]
    received = client.get(f"/node/{node['id']}/received_infos").json()["infos"]
    pairs = json.loads(received[0]["contents"])
    assert pairs["y"] == [75 if x >= 50 else 25 for x in pairs["x"]]
    assert Info.objects.count() == 1


def test_two_http_bots_learn_along_a_chain_on_the_embedded_default(tmp_path, run_tmp):
    env = embedded_environment(tmp_path, run_tmp, num_participants="2")
    result = run(manage("runexperiment", "function_learning", "--bots", "2", "--port", str(free_port()),
                        "--timeout", "120"), env)  # fmt: skip
    assert_succeeded(result)
    assert "2 approved" in result.stdout
    record = read_sqlite_record(tmp_path / "db.sqlite3")
    assert_chained(record, length=2)
    for _, origin_id, contents in record["infos"]:
        pairs = json.loads(contents)
        assert len(pairs["x"]) == len(pairs["y"]) == 20
    with sqlite3.connect(tmp_path / "db.sqlite3") as database:
        assert database.execute("SELECT property1 FROM node WHERE type = 'function_source'").fetchall() == [
            ("sinusoidal",)
        ]
    assert "server error" not in result.stdout + result.stderr
    assert_run_files_removed(run_tmp)
