"""`Experiment.run()` and `collect()`: running an experiment with bots from Python and getting its data."""

import subprocess
import uuid

import pytest

from experiments import runtime
from experiments.loader import load_experiment
from experiments.programmatic import RunFailed, data_path
from tests.runs import SERVICE_VARIABLES


@pytest.fixture
def pushbutton(tmp_path, monkeypatch, settings):
    """The push-button demo's experiment, in a folder of its own, on an embedded database of its own."""
    for name in SERVICE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DALLINGER_SQLITE_PATH", str(tmp_path / "db.sqlite3"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    settings.DALLINGER_EXPERIMENT = ""
    loaded = load_experiment("pushbutton", home=tmp_path)
    yield loaded.experiment_class()
    runtime.reload()


def test_run_with_bots_returns_the_data_of_that_run_and_collect_finds_it_again(pushbutton, monkeypatch):
    data = pushbutton.run(bot=True, num_participants=2, max_bots=2)

    participants = data.participants.records
    assert [row["status"] for row in participants] == ["approved", "approved"]
    assert len(data.infos.records) == 2
    app_id = data_path_ids()[0]

    # Collecting that id again reads the saved data; nothing runs.
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("collect() ran the experiment again"))
    again = pushbutton.collect(app_id)
    assert [row["id"] for row in again.participants.records] == [row["id"] for row in participants]


def data_path_ids() -> list[str]:
    """The run ids that have data in ./data."""
    return [path.name.removesuffix("-data.zip") for path in data_path("x").parent.glob("*-data.zip")]


def test_a_failed_run_raises_with_what_the_run_printed(pushbutton):
    with pytest.raises(RunFailed, match="num_participants"):
        pushbutton.run(bot=True, num_participants="many")


def test_run_without_bots_is_refused_with_what_to_do_instead(pushbutton):
    with pytest.raises(ValueError, match="manage.py runexperiment"):
        pushbutton.run(num_participants=2)


def test_collect_refuses_an_id_that_is_not_a_uuid4_and_a_debug_id_without_data(pushbutton):
    with pytest.raises(ValueError, match="Invalid UUID supplied not-an-id"):
        pushbutton.collect("not-an-id", bot=True)
    with pytest.raises(RuntimeError, match="No local data found"):
        pushbutton.collect(str(uuid.uuid4()), mode="debug", bot=True)
