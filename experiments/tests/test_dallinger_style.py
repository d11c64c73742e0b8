"""An experiment written for Dallinger 12 (tests/experiments/dallinger_style), loaded and served as it
is: its class attributes, configuration, Flask-style routes and bot contract."""

import textwrap
from pathlib import Path

import pytest

from bots.base import HighPerformanceBotBase
from bots.tests.test_bot_base import RoutedServer
from core.models import Network, Node
from experiments import runtime
from experiments.bot_classes import bot_class, bot_kind
from experiments.compat import bots as dallinger_bots
from experiments.experiment import Experiment
from experiments.loader import load_experiment
from experiments.session import session

DALLINGER_STYLE = Path(__file__).resolve().parents[2] / "tests" / "experiments" / "dallinger_style"


@pytest.fixture
def word_check(db, use_experiment, monkeypatch):
    """The experiment as the server's, served from its folder as servers serve it."""
    monkeypatch.chdir(DALLINGER_STYLE)
    return use_experiment(DALLINGER_STYLE)


def load(path, tmp_path):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return load_experiment(str(path), home=home)


# The Experiment class ----------------------------------------------------------------------


def test_the_class_attributes_the_experiment_sets_are_kept(db, tmp_path):
    experiment = load(DALLINGER_STYLE, tmp_path).experiment_class(session)

    assert experiment.experiment_repeats == 1
    assert experiment.initial_recruitment_size == 2


def test_the_base_defaults_are_class_attributes_an_instance_may_change():
    experiment = Experiment()
    experiment.quorum = 3

    assert Experiment.quorum == 0
    assert (Experiment.experiment_repeats, Experiment.practice_repeats, Experiment.initial_recruitment_size) == (
        0,
        0,
        1,
    )


def test_extra_parameters_as_a_classmethod_registers_the_keys_config_txt_sets(db, tmp_path):
    loaded = load(DALLINGER_STYLE, tmp_path)

    assert loaded.config.get("num_participants") == 2
    assert loaded.experiment_class(session).num_participants == 2  # configure() read it with get_config(load=True)


def test_the_server_sets_up_the_networks_the_class_attributes_ask_for(word_check):
    runtime.experiment()

    networks = list(Network.objects.all())
    assert [(network.role, network.max_size) for network in networks] == [("experiment", 2)]


def test_a_dallinger_12_init_taking_no_configure_is_built_without_a_session(tmp_path):
    package = tmp_path / "twelve"
    package.mkdir()
    (package / "experiment.py").write_text(
        textwrap.dedent(
            """
            from dallinger.experiment import Experiment

            class Twelve(Experiment):
                experiment_repeats = 2

                def __init__(self, no_configure=False):
                    super().__init__(no_configure=no_configure)

                def configure(self):
                    self.configured = True
            """
        )
    )
    experiment = runtime.construct(load(package, tmp_path).experiment_class)

    assert experiment.configured is True  # not skipped by a session passed as no_configure
    assert experiment.experiment_repeats == 2


# Flask-style routes ----------------------------------------------------------------------------


def test_a_route_reads_flask_request_values_and_answers_with_jsonify(client, word_check):
    response = client.post("/check/7", {"guess": "thistle"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"node_id": 7, "correct": True}
    assert client.post("/check/7?guess=nettle").json() == {"node_id": 7, "correct": False}


def test_a_route_answering_error_response_sends_dallingers_error_envelope(client, word_check):
    response = client.post("/check/7")

    assert response.status_code == 400
    assert response.json() == {"status": "error", "message": "No guess."}


def test_a_staticmethod_route_returns_a_response_and_abort_answers_its_status(client, word_check):
    word = client.get("/words/1")
    missing = client.get("/words/9")

    assert (word.status_code, word["Content-Type"], word.content) == (200, "text/plain; charset=utf-8", b"harbour")
    assert (missing.status_code, missing.content) == (404, b"Not Found")


def test_a_route_answering_success_response_reads_the_query(client, word_check):
    assert client.get("/ping", {"say": "hello"}).json() == {"status": "success", "echo": "hello"}


def test_a_blueprint_route_returning_a_tuple_sets_status_and_headers(client, word_check):
    response = client.get("/word_count")

    assert response.status_code == 200
    assert response["X-Word-Check"] == "yes"
    assert response.json() == {"count": 3}


def test_a_flask_style_route_keeps_its_methods(client, word_check):
    assert client.get("/check/7").status_code == 405


# Bots --------------------------------------------------------------------------------------


def test_an_experiment_with_only_a_browser_bot_runs_browser_bots_by_default(tmp_path):
    loaded = load(DALLINGER_STYLE, tmp_path)

    assert bot_kind(loaded.module, loaded.config) == "browser"
    assert bot_class(loaded.module, "browser").__name__ == "Bot"


def test_a_configured_bot_type_is_kept(tmp_path):
    loaded = load(DALLINGER_STYLE, tmp_path)
    loaded.config.set("bot_type", "http")

    assert bot_kind(loaded.module, loaded.config) == "http"


def test_an_experiment_with_an_http_bot_runs_it_by_default(tmp_path):
    loaded = load("pushbutton", tmp_path)

    assert bot_kind(loaded.module, loaded.config) == "http"


class _Silent:
    """A bot whose participate() returns nothing, as many Dallinger bots' do (MCMCP's returns False)."""

    max_attempts = 2
    retry_delay = 0.001

    def participate(self):
        return None


class DallingerBot(_Silent, dallinger_bots.HighPerformanceBotBase):
    pass


class ProjectBot(_Silent, HighPerformanceBotBase):
    pass


ROUTES = {
    "/participant/": (200, {"status": "success", "participant": {"id": 4}}),
    "/question/4": (200, {"status": "success"}),
    "/worker_complete": (200, {"status": "success"}),
    "/worker_failed": (200, {"status": "success"}),
}


def test_a_dallinger_bot_completes_whatever_participate_returns():
    with RoutedServer(ROUTES) as server:
        succeeded = DallingerBot(f"{server.url}/ad?recruiter=bots").run_experiment()

    assert succeeded is True
    assert [path for _, path in server.requests][1:] == ["/question/4", "/worker_complete?participant_id=4"]


def test_a_project_bot_still_fails_when_participate_returns_nothing():
    with RoutedServer(ROUTES) as server:
        succeeded = ProjectBot(f"{server.url}/ad?recruiter=bots").run_experiment()

    assert succeeded is False
    assert [path for _, path in server.requests][1:] == ["/worker_failed?participant_id=4"]


def test_known_classes_added_by_an_instance_stay_its_own_and_a_property_is_kept():
    class Adds(Experiment):
        pass

    class Computes(Experiment):
        @property
        def known_classes(self):
            return {"Node": Node}

    adding = Adds()
    adding.known_classes["Extra"] = object

    assert "Extra" not in Adds().known_classes
    assert "Extra" not in Experiment.known_classes
    assert Computes().known_classes == {"Node": Node}
