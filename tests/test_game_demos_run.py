"""The bundled games and tasks (2048, snake, concentration, vox populi, sheep market) run end to end.

Each run is `manage.py runexperiment <demo> --bots 2` as an experimenter types it, on the
embedded default (helpers from tests/runs.py). Every bot must be approved, which
the demos grant only when the recorded game or answers keep the demo's rules; the test then
checks the record itself with the same rules. Browser bots play the three games through
their pages, so the page's JavaScript rules and the server's Python rules must agree.
"""

import json
import sqlite3
from collections import defaultdict

import pytest

from experiments.demos.concentration import game as concentration
from experiments.demos.sheep_market import drawing
from experiments.demos.snake import game as snake
from experiments.demos.twentyfortyeight import game as twentyfortyeight
from experiments.demos.vox_populi import estimates
from tests.runs import (
    assert_run_files_removed,
    assert_succeeded,
    embedded_environment,
    free_port,
    manage,
    run,
)

BOTS = 2


def check_2048(records: list[dict], types: set[str]) -> None:
    assert types == {"state"} and twentyfortyeight.check_game(records) == records[-1]["score"]
    assert len(records) > 1, "no move was played"


def check_snake(records: list[dict], types: set[str]) -> None:
    assert len(records) == 1 and snake.replay(records[0]) == records[0]["score"]


def check_concentration(records: list[dict], types: set[str]) -> None:
    assert concentration.check_turns(records) == len(records)


def check_vox_populi(records: list[dict], types: set[str]) -> None:
    assert len(records) == 1 and estimates.checked_answers(records[0])


def check_sheep_market(records: list[dict], types: set[str]) -> None:
    assert len(records) == 1 and drawing.checked_image(records[0]["image"])
    assert sum(len(stroke) for stroke in records[0]["strokes"]) > 10, "hardly a sheep"


CHECKS = {
    "twentyfortyeight": check_2048,
    "snake": check_snake,
    "concentration": check_concentration,
    "vox_populi": check_vox_populi,
    "sheep_market": check_sheep_market,
}


def records_by_participant(database) -> dict[int, tuple[list[dict], set[str]]]:
    """participant id → (the contents of their infos, decoded, oldest first; the infos' types)."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT node.participant_id, info.contents, info.type FROM info JOIN node ON info.origin_id = node.id "
            "WHERE NOT info.failed ORDER BY info.id"
        ).fetchall()
        statuses = connection.execute("SELECT status FROM participant").fetchall()
    assert [status for (status,) in statuses] == ["approved"] * BOTS
    records = defaultdict(lambda: ([], set()))
    for participant_id, contents, info_type in rows:
        records[participant_id][0].append(json.loads(contents))
        records[participant_id][1].add(info_type)
    return records


def run_demo(demo: str, tmp_path, run_tmp, *options: str) -> None:
    """Run the demo with two bots to the end; every bot approved and its record kept the rules."""
    env = embedded_environment(tmp_path, run_tmp)
    result = run(manage("runexperiment", demo, "--bots", str(BOTS), *options, "--port", str(free_port()),
                        "--timeout", "120"), env)  # fmt: skip
    assert_succeeded(result)
    assert f"{BOTS} approved" in result.stdout
    assert "server error" not in result.stdout + result.stderr
    records = records_by_participant(tmp_path / "db.sqlite3")
    assert len(records) == BOTS
    for contents, types in records.values():
        CHECKS[demo](contents, types)
    assert_run_files_removed(run_tmp)


@pytest.mark.parametrize("demo", sorted(CHECKS))
def test_http_bots_take_part_to_the_end_on_the_embedded_default(demo, tmp_path, run_tmp):
    run_demo(demo, tmp_path, run_tmp)


@pytest.mark.parametrize("demo", ["concentration", "snake", "twentyfortyeight"])
def test_browser_bots_play_the_game_through_its_page(demo, tmp_path, run_tmp):
    run_demo(demo, tmp_path, run_tmp, "--bot-type", "browser")
