"""The rogers demo: fitness, inheritance of the learning gene, social and asocial learning, the
environment's flips, the participant checks, and a run of one population of bots."""

import sqlite3
from collections import Counter

import pytest

from core.infos import Meme, State
from core.models import Participant
from experiments import runtime
from experiments.loader import load_experiment
from tests.runs import (
    assert_run_files_removed,
    assert_succeeded,
    embedded_environment,
    free_port,
    manage,
    run,
)


def demo_module(name: str):
    """A module of the demo's package (`models`, `bots`), as the loader imported it."""
    return load_experiment("rogers").submodule(name)


def test_a_right_answer_pays_and_learning_alone_costs():
    models = demo_module("models")
    assert models.fitness(score=1, asocial=False) == pytest.approx(1.3001**2)
    assert models.fitness(score=1, asocial=True) == pytest.approx(1.0001**2)
    assert models.fitness(score=0, asocial=False) == pytest.approx(0.3001**2)
    assert models.fitness(score=0, asocial=True) == pytest.approx(0.0001**2)


def test_a_learning_gene_mutates_into_the_other_strategy():
    models = demo_module("models")
    assert models.LearningGene(contents="social")._mutated_contents() == "asocial"
    assert models.LearningGene(contents="asocial")._mutated_contents() == "social"


def test_asocial_bots_judge_the_dots_and_social_bots_copy():
    bots = demo_module("bots")
    assert bots.judge("asocial", [{"type": "state", "contents": "0.9"}]) == "blue"
    assert bots.judge("asocial", [{"type": "state", "contents": "0.1"}]) == "yellow"
    assert (
        bots.judge("social", [{"type": "learning_gene", "contents": "social"}, {"type": "meme", "contents": "yellow"}])
        == "yellow"
    )


def trial(client, participant, answer=None) -> dict:
    """A trial of `participant`: their node, its gene and what it received; answered if `answer`."""
    node = client.post(f"/node/{participant.pk}").json()["node"]
    gene = client.get(f"/node/{node['id']}/infos", {"info_type": "LearningGene"}).json()["infos"][0]["contents"]
    received = client.get(f"/node/{node['id']}/received_infos").json()["infos"]
    if answer:
        assert client.post(f"/info/{node['id']}", {"contents": answer, "info_type": "Meme"}).status_code == 200
    return {"id": node["id"], "gene": gene, "received": sorted(info["type"] for info in received)}


@pytest.fixture
def population(use_experiment, db):
    """One experiment network of two generations of one agent, without practice."""
    use_experiment("rogers", generations=2, generation_size=1, experiment_repeats=1, practice_repeats=0)
    return runtime.experiment()


def test_the_first_generation_learns_alone_and_a_mutant_child_copies_it(
    population, client, make_participant, monkeypatch
):
    models = demo_module("models")
    environment = models.RogersEnvironment.objects.get()
    blue_is_right = float(environment.state().contents) > 0.5

    first = trial(client, make_participant(), answer="blue")
    assert first["gene"] == "asocial"
    assert first["received"] == ["learning_gene", "state"]
    agent = models.RogersAgent.objects.get(pk=first["id"])
    assert agent.score == int(blue_is_right)
    assert agent.fitness == pytest.approx(models.fitness(agent.score, asocial=True))

    monkeypatch.setattr(models, "MUTATION_RATE", 1.0)
    second = trial(client, make_participant())
    assert second["gene"] == "social"
    assert second["received"] == ["learning_gene", "meme"]
    child = models.RogersAgent.objects.get(pk=second["id"])
    assert [info.contents for info in child.received_infos(type=Meme)] == ["blue"]
    assert child.generation == 1


def test_checks_and_bonus_follow_the_participants_trials(population, client, make_participant):
    models = demo_module("models")
    participant = make_participant()
    share_of_blue = float(models.RogersEnvironment.objects.get().state().contents)
    right = "blue" if share_of_blue > 0.5 else "yellow"
    assert population.data_check(participant=participant) is False  # no trial yet

    trial(client, participant, answer=right)
    participant = Participant.objects.get(pk=participant.pk)
    assert population.data_check(participant=participant) is True
    assert population.attention_check(participant=participant) is True
    assert population.bonus(participant=participant) == 1.0


def test_the_environment_flips_once_per_period_of_generations(population):
    models = demo_module("models")
    environment = models.RogersEnvironment.objects.get()
    first = float(environment.state().contents)

    environment.keep_up_with(models.ENVIRONMENT_PERIOD - 1)
    assert len(environment.infos(type=State)) == 1
    environment.keep_up_with(models.ENVIRONMENT_PERIOD)
    environment.keep_up_with(models.ENVIRONMENT_PERIOD)
    assert len(environment.infos(type=State)) == 2
    assert float(environment.state().contents) == pytest.approx(1 - first)
    assert environment.state().transformations(relationship="child")


def test_catch_and_practice_networks_get_their_own_difficulty(use_experiment, db):
    use_experiment("rogers", experiment_repeats=3, catch_repeats=1, practice_repeats=1,
                   difficulties="0.55, 0.6, 0.65", catch_difficulty=0.9, practice_difficulty=0.8)  # fmt: skip
    runtime.experiment()
    models = demo_module("models")
    by_role = {}
    for environment in models.RogersEnvironment.objects.all():
        by_role.setdefault(environment.network.role, []).append(environment.proportion)
    assert by_role["practice"] == [0.8]
    assert by_role["catch"] == [0.9]
    assert len(by_role["experiment"]) == 2 and set(by_role["experiment"]) <= {0.55, 0.6, 0.65}


def test_four_http_bots_make_two_generations_on_the_embedded_default(tmp_path, run_tmp):
    env = embedded_environment(tmp_path, run_tmp)
    result = run(manage("runexperiment", "rogers", "--bots", "4", "--port", str(free_port()),
                        "--timeout", "120"), env)  # fmt: skip
    assert_succeeded(result)
    assert "4 approved" in result.stdout
    with sqlite3.connect(tmp_path / "db.sqlite3") as database:
        agents = database.execute(
            "SELECT network_id, participant_id, property2, property1, property3 FROM node "
            "WHERE type = 'rogers_agent' AND NOT failed"
        ).fetchall()
        networks = database.execute("SELECT count(*) FROM network WHERE full").fetchone()[0]
    # config.txt: one practice and two experiment networks, two generations of two in each.
    assert networks == 3
    assert len(agents) == 12
    # Each bot made one trial in each network.
    trials = Counter(participant for _, participant, _, _, _ in agents)
    assert sorted(trials.values()) == [3, 3, 3, 3]
    assert len({(network, participant) for network, participant, _, _, _ in agents}) == 12
    assert sorted(generation for _, _, generation, _, _ in agents) == ["0"] * 6 + ["1"] * 6
    assert all(fitness is not None and score in ("0", "1") for _, _, _, fitness, score in agents)
    assert "server error" not in result.stdout + result.stderr
    assert_run_files_removed(run_tmp)


def test_browser_bots_answer_every_trial_through_the_page(tmp_path, run_tmp):
    env = embedded_environment(tmp_path, run_tmp, generations="1", experiment_repeats="1")
    result = run(manage("runexperiment", "rogers", "--bots", "2", "--bot-type", "browser", "--port", str(free_port()),
                        "--timeout", "120"), env)  # fmt: skip
    assert_succeeded(result)
    assert "2 approved" in result.stdout
    with sqlite3.connect(tmp_path / "db.sqlite3") as database:
        answers = database.execute("SELECT contents FROM info WHERE type = 'meme' AND NOT failed").fetchall()
    # One practice and one experiment trial each.
    assert len(answers) == 4
    assert {contents for (contents,) in answers} <= {"blue", "yellow"}
