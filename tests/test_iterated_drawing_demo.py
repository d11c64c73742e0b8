"""The iterated_drawing demo: its drawings, its bot's redrawing, and a run of two bots."""

import base64
import json

import pytest

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
    return load_experiment("iterated_drawing").submodule(name)


def test_strokes_are_pictured_as_an_svg_image():
    models = demo_module("models")
    uri = models.strokes_to_svg([[[1, 2], [3, 4]], []])
    prefix = "data:image/svg+xml;base64,"
    assert uri.startswith(prefix)
    assert base64.b64decode(uri[len(prefix) :]).decode().count('points="1,2 3,4"') == 1


def test_a_drawing_shows_only_a_picture_and_strokes_it_can_read():
    models = demo_module("models")
    drawing = models.Drawing(contents=models.drawing_contents(models.FISH))
    assert drawing.image.startswith("data:image/svg+xml") and drawing.strokes == models.FISH
    for contents in ('{"image": "javascript:alert(1)", "strokes": "x"}', "not json", "[1]"):
        assert models.Drawing(contents=contents).image == ""
        assert models.Drawing(contents=contents).strokes == []


def test_the_bot_redraws_each_stroke_close_to_what_it_saw():
    bots = demo_module("bots")
    models = demo_module("models")
    redrawn = bots.redraw(models.FISH, wobble=1.0)
    assert len(redrawn) == len(models.FISH)
    for seen, drawn in zip(models.FISH, redrawn):
        assert len(drawn) == (len(seen) - 1 if len(seen) > 3 else len(seen))
        assert drawn[0] == pytest.approx(seen[0], abs=8) and drawn[-1] == pytest.approx(seen[-1], abs=8)
        assert all(0 <= value <= models.SIZE for point in drawn for value in point)


@pytest.mark.django_db
def test_a_participant_sees_the_drawing_before_theirs_and_passes_theirs_on(use_experiment, client, make_participant):
    models = demo_module("models")
    use_experiment("iterated_drawing")
    first, second = make_participant(), make_participant()
    node = client.post(f"/node/{first.pk}").json()["node"]
    received = client.get(f"/node/{node['id']}/received_infos").json()["infos"]
    assert [info["type"] for info in received] == ["drawing"]
    assert json.loads(received[0]["contents"])["strokes"] == models.FISH

    mine = models.drawing_contents([[[0, 0], [10, 10]]])
    assert client.post(f"/info/{node['id']}", {"contents": mine, "info_type": "Drawing"}).status_code == 200
    next_node = client.post(f"/node/{second.pk}").json()["node"]
    received = client.get(f"/node/{next_node['id']}/received_infos").json()["infos"]
    assert [info["contents"] for info in received] == [mine]


def test_two_http_bots_redraw_along_a_chain_on_the_embedded_default(tmp_path, run_tmp):
    env = embedded_environment(tmp_path, run_tmp, num_participants="2")
    result = run(manage("runexperiment", "iterated_drawing", "--bots", "2", "--port", str(free_port()),
                        "--timeout", "120"), env)  # fmt: skip
    assert_succeeded(result)
    assert "2 approved" in result.stdout
    record = read_sqlite_record(tmp_path / "db.sqlite3")
    assert_chained(record, length=2)
    for _, _, contents in record["infos"]:
        drawing = json.loads(contents)
        assert drawing["image"].startswith("data:image/svg+xml;base64,") and drawing["strokes"]
    assert "server error" not in result.stdout + result.stderr
    assert_run_files_removed(run_tmp)


def test_two_browser_bots_draw_on_the_canvas_along_a_chain(tmp_path, run_tmp):
    env = embedded_environment(tmp_path, run_tmp, num_participants="2")
    result = run(manage("runexperiment", "iterated_drawing", "--bots", "2", "--bot-type", "browser",
                        "--port", str(free_port()), "--timeout", "120"), env)  # fmt: skip
    assert_succeeded(result)
    record = read_sqlite_record(tmp_path / "db.sqlite3")
    assert_chained(record, length=2)
    for _, _, contents in record["infos"][1:]:
        drawing = json.loads(contents)
        # The canvas's picture, and the two strokes the bot drew on it.
        assert drawing["image"].startswith("data:image/png;base64,") and len(drawing["strokes"]) == 2
