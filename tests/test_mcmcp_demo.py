"""The mcmcp demo: proposals, the choice between two animals, the bots' taste, and a run."""

import json
import sqlite3
from collections import Counter

import pytest

from experiments.loader import load_experiment
from tests.runs import (
    assert_run_files_removed,
    assert_succeeded,
    embedded_environment,
    free_port,
    manage,
    run,
)

TRIALS = 3


def demo_module(name: str):
    """A module of the demo's package (`models`, `bots`), as the loader imported it."""
    return load_experiment("mcmcp").submodule(name)


def test_a_proposal_stays_within_every_range():
    models = demo_module("models")
    extreme = {name: high for name, (low, high) in models.RANGES.items()}
    for _ in range(50):
        proposal = models.perturbed(extreme)
        assert all(low <= proposal[name] <= high for name, (low, high) in models.RANGES.items())
    assert models.perturbed(extreme) != extreme


def test_bots_tend_to_pick_the_animal_closer_to_their_idea_of_a_dog():
    bots = demo_module("bots")
    far = dict(bots.DOG, neck_length=2.5, tail_angle=-45.0)
    assert bots.distance(bots.DOG) == 0
    assert bots.probability_of_first(bots.DOG, far) > 0.9
    assert bots.probability_of_first(far, bots.DOG) == pytest.approx(1 - bots.probability_of_first(bots.DOG, far))
    assert bots.probability_of_first(far, far) == 0.5


def trial(client, participant) -> tuple[int, list]:
    """A new trial of `participant`: its node id and its two animals, oldest first."""
    node = client.post(f"/node/{participant.pk}").json()["node"]
    infos = client.get(f"/node/{node['id']}/infos", {"info_type": "AnimalInfo"}).json()["infos"]
    return node["id"], sorted(infos, key=lambda info: info["id"])


@pytest.mark.django_db
def test_the_animal_picked_is_the_next_trials_current_one(use_experiment, client, make_participant):
    use_experiment("mcmcp", trials_per_participant=TRIALS)
    participant = make_participant()

    node_id, (current, proposal) = trial(client, participant)
    answer = client.post(f"/choice/{node_id}/0")
    assert answer.status_code == 200 and answer.json()["info"]["id"] == proposal["id"]
    _, (next_current, _) = trial(client, participant)
    assert json.loads(next_current["contents"]) == json.loads(proposal["contents"])


@pytest.mark.django_db
def test_an_undecided_trial_passes_on_its_current_animal(use_experiment, client, make_participant):
    use_experiment("mcmcp", trials_per_participant=TRIALS)
    first, second = make_participant(), make_participant()
    _, (current, _) = trial(client, first)
    _, (next_current, _) = trial(client, second)
    assert next_current["contents"] == current["contents"]


@pytest.mark.django_db
def test_a_bad_or_second_choice_is_refused_and_changes_nothing(use_experiment, client, make_participant):
    models = demo_module("models")
    use_experiment("mcmcp", trials_per_participant=TRIALS)
    participant = make_participant()
    node_id, _ = trial(client, participant)
    cookies = dict(client.cookies.items())

    assert client.post(f"/choice/{node_id}/2").status_code == 400
    assert client.post("/choice/999999/0").status_code == 400
    client.cookies.clear()  # a caller who does not hold the participant
    assert client.post(f"/choice/{node_id}/0").status_code == 403
    assert not any(info.chosen for info in models.AnimalInfo.objects.all())

    client.cookies.load({name: morsel.value for name, morsel in cookies.items()})
    assert client.post(f"/choice/{node_id}/1").status_code == 200
    second = client.post(f"/choice/{node_id}/0")
    assert second.status_code == 400 and "already" in second.json()["message"]
    assert sum(info.chosen for info in models.AnimalInfo.objects.all()) == 1


@pytest.mark.django_db
def test_a_participant_gets_their_number_of_trials_and_then_none(use_experiment, client, make_participant):
    use_experiment("mcmcp", trials_per_participant=2)
    participant = make_participant()
    for _ in range(2):
        node_id, _ = trial(client, participant)
        client.post(f"/choice/{node_id}/1")
    assert client.post(f"/node/{participant.pk}").status_code == 403


def test_two_http_bots_walk_the_chain_on_the_embedded_default(tmp_path, run_tmp):
    env = embedded_environment(tmp_path, run_tmp, trials_per_participant=str(TRIALS))
    result = run(manage("runexperiment", "mcmcp", "--bots", "2", "--port", str(free_port()),
                        "--timeout", "120"), env)  # fmt: skip
    assert_succeeded(result)
    assert "2 approved" in result.stdout
    with sqlite3.connect(tmp_path / "db.sqlite3") as database:
        nodes = database.execute("SELECT participant_id FROM node WHERE type = 'MCMCP_agent' AND NOT failed").fetchall()
        chosen = database.execute(
            "SELECT count(*) FROM info WHERE type = 'vector_info' AND property1 = 'True' AND NOT failed"
        ).fetchone()[0]
    # Each bot made its trials in the one chain, and picked one animal in each.
    assert sorted(Counter(nodes).values()) == [TRIALS, TRIALS]
    assert chosen == 2 * TRIALS
    assert "server error" not in result.stdout + result.stderr
    assert_run_files_removed(run_tmp)


def test_two_browser_bots_click_through_their_trials(tmp_path, run_tmp):
    env = embedded_environment(tmp_path, run_tmp, trials_per_participant=str(TRIALS))
    result = run(manage("runexperiment", "mcmcp", "--bots", "2", "--bot-type", "browser", "--port", str(free_port()),
                        "--timeout", "120"), env)  # fmt: skip
    assert_succeeded(result)
    assert "2 approved" in result.stdout
    with sqlite3.connect(tmp_path / "db.sqlite3") as database:
        chosen = database.execute("SELECT count(*) FROM info WHERE property1 = 'True' AND NOT failed").fetchone()[0]
    assert chosen == 2 * TRIALS
