"""Finding and importing experiment packages, and serving their own routes."""

import importlib
import sys
import textwrap
from pathlib import Path

import pytest
from django.urls import resolve

from core.models import Network
from experiments import runtime
from experiments.config import ConfigurationError
from experiments.experiment import Experiment
from experiments.loader import (
    DEMOS_DIR,
    ExperimentLoadError,
    bundled_demos,
    find_experiment,
    load_default,
    load_experiment,
)
from experiments.session import session

PACKAGES = Path(__file__).parent / "experiments"
LOADER_BASIC = PACKAGES / "loader_basic"
LOADER_ROUTES = PACKAGES / "loader_routes"


@pytest.fixture(autouse=True)
def _default_experiment_afterwards(settings, monkeypatch, tmp_path):
    """No EXPERIMENT_CLASS_NAME from the caller's shell; the server's default experiment again after each test."""
    monkeypatch.delenv("EXPERIMENT_CLASS_NAME", raising=False)
    settings.DALLINGER_EXPERIMENT = ""
    yield
    runtime.reload()


def load(name_or_path, tmp_path, **kwargs):
    """Load without reading the user's ~/.dallingerconfig."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return load_experiment(str(name_or_path), home=home, **kwargs)


def write_package(root: Path, files: dict[str, str]) -> Path:
    """Write an experiment package: {relative path: source}."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text))
    return root


# Finding a package -----------------------------------------------------------------------


def test_load_by_path(tmp_path):
    loaded = load(LOADER_BASIC, tmp_path)

    assert loaded.name == "loader_basic"
    assert loaded.directory == LOADER_BASIC.resolve()
    assert loaded.experiment_class.__name__ == "LoaderBasic"
    assert issubclass(loaded.experiment_class, Experiment)
    assert loaded.module.__file__ == str(LOADER_BASIC.resolve() / "experiment.py")


def test_load_a_bundled_demo_by_name(tmp_path):
    loaded = load("bartlett1932", tmp_path)

    assert loaded.directory == DEMOS_DIR / "bartlett1932"
    assert loaded.experiment_class.__name__ == "Bartlett1932"
    assert loaded.config.get("num_participants") == 3
    assert "bartlett1932" in bundled_demos()


def test_an_unknown_name_is_a_clear_error_listing_the_demos(tmp_path):
    with pytest.raises(ExperimentLoadError) as raised:
        load("loader_nowhere", tmp_path)

    message = str(raised.value)
    assert "No experiment 'loader_nowhere'" in message
    assert "not a bundled demo (bartlett1932" in message


def test_a_folder_without_experiment_py_is_refused(tmp_path):
    folder = write_package(tmp_path / "loader_empty", {"config.txt": "[Experiment]\n"})

    with pytest.raises(ExperimentLoadError, match="is not an experiment package: it has no experiment.py"):
        find_experiment(str(folder))


def test_a_module_without_an_experiment_class_is_refused(tmp_path):
    folder = write_package(
        tmp_path / "loader_classless",
        {"experiment.py": "class NotAnExperiment:\n    pass\n", "config.txt": "[Experiment]\n"},
    )

    with pytest.raises(ExperimentLoadError, match="No Experiment subclass found in"):
        load(folder, tmp_path)


# Several classes and EXPERIMENT_CLASS_NAME ----------------------------------------------------

SHARED_BASE = """
    from experiments.experiment import Experiment


    class LoaderSharedBase(Experiment):
        task = "shared"
"""


@pytest.fixture
def inheriting_package(tmp_path):
    """experiment.py imports one Experiment subclass and defines another."""
    return write_package(
        tmp_path / "loader_inheriting",
        {
            "base.py": SHARED_BASE,
            "experiment.py": """
                from .base import LoaderSharedBase


                class LoaderOwn(LoaderSharedBase):
                    pass
            """,
            "config.txt": "[Experiment]\n",
        },
    )


@pytest.fixture
def ambiguous_package(tmp_path):
    """experiment.py defines two Experiment subclasses."""
    return write_package(
        tmp_path / "loader_ambiguous",
        {
            "experiment.py": """
                from experiments.experiment import Experiment


                class LoaderFirst(Experiment):
                    pass


                class LoaderSecond(Experiment):
                    pass
            """,
            "config.txt": "[Experiment]\n",
        },
    )


def test_the_class_defined_in_the_module_wins_over_imported_ones(inheriting_package, tmp_path):
    assert load(inheriting_package, tmp_path).experiment_class.__name__ == "LoaderOwn"


def test_several_classes_defined_in_the_module_are_an_error_naming_them(ambiguous_package, tmp_path):
    with pytest.raises(ExperimentLoadError) as raised:
        load(ambiguous_package, tmp_path)

    message = str(raised.value)
    assert "LoaderFirst, LoaderSecond" in message
    assert "EXPERIMENT_CLASS_NAME" in message


def test_experiment_class_name_from_the_environment_picks_the_class(ambiguous_package, tmp_path, monkeypatch):
    monkeypatch.setenv("EXPERIMENT_CLASS_NAME", "LoaderSecond")

    assert load(ambiguous_package, tmp_path).experiment_class.__name__ == "LoaderSecond"


def test_experiment_class_name_may_pick_an_imported_class(inheriting_package, tmp_path, monkeypatch):
    monkeypatch.setenv("EXPERIMENT_CLASS_NAME", "LoaderSharedBase")

    assert load(inheriting_package, tmp_path).experiment_class.__name__ == "LoaderSharedBase"


def test_experiment_class_name_may_be_set_in_config_txt(ambiguous_package, tmp_path):
    (ambiguous_package / "config.txt").write_text("[Experiment]\nEXPERIMENT_CLASS_NAME = LoaderFirst\n")

    assert load(ambiguous_package, tmp_path).experiment_class.__name__ == "LoaderFirst"


def test_an_unknown_experiment_class_name_is_an_error(ambiguous_package, tmp_path, monkeypatch):
    monkeypatch.setenv("EXPERIMENT_CLASS_NAME", "LoaderThird")

    with pytest.raises(ExperimentLoadError, match=r"No experiment class named LoaderThird .*LoaderFirst, LoaderSecond"):
        load(ambiguous_package, tmp_path)


# Importing the package -----------------------------------------------------------------


def test_extra_parameters_register_keys_that_config_txt_sets(tmp_path):
    loaded = load(LOADER_BASIC, tmp_path)

    assert loaded.config.get("loader_colour") == "teal"
    assert loaded.config.get("loader_rounds") == 4
    assert loaded.config.type_of("loader_rounds") is int


def test_without_extra_parameters_config_txt_cannot_set_new_keys(tmp_path):
    folder = write_package(
        tmp_path / "loader_unregistered",
        {
            "experiment.py": "from experiments.experiment import Experiment\n\n\nclass LoaderPlain(Experiment):\n    pass\n",
            "config.txt": "[Experiment]\nloader_unregistered = 1\n",
        },
    )

    with pytest.raises(ConfigurationError, match="loader_unregistered.*extra_parameters"):
        load(folder, tmp_path)


def test_relative_imports_inside_the_package_work(tmp_path):
    loaded = load(LOADER_BASIC, tmp_path)

    models = loaded.module.models
    assert models.__file__ == str(LOADER_BASIC.resolve() / "models.py")
    assert models.LoaderStorySource.polymorphic_identity == "loader_story_source"


def test_the_package_is_available_as_dallinger_experiment(tmp_path):
    loaded = load(LOADER_BASIC, tmp_path)

    package = importlib.import_module("dallinger_experiment")
    models = importlib.import_module("dallinger_experiment.models")
    from dallinger_experiment.experiment import LoaderBasic

    assert package.__path__ == [str(LOADER_BASIC.resolve())]
    assert models is loaded.module.models  # the same classes, not a second copy
    assert LoaderBasic is loaded.experiment_class


def test_dallinger_experiment_follows_the_loaded_package(tmp_path):
    load(LOADER_BASIC, tmp_path)
    bartlett = load("bartlett1932", tmp_path)

    assert importlib.import_module("dallinger_experiment.models") is bartlett.module.models

    load_default(home=tmp_path)

    assert "dallinger_experiment" not in sys.modules
    assert "dallinger_experiment.models" not in sys.modules


def test_loading_the_same_package_again_works(tmp_path):
    first = load(LOADER_BASIC, tmp_path)
    load("bartlett1932", tmp_path)
    second = load(LOADER_BASIC, tmp_path)

    assert second.experiment_class is first.experiment_class
    assert second.config.get("loader_rounds") == 4
    assert importlib.import_module("dallinger_experiment.models") is first.module.models


def test_an_import_error_is_reported_and_a_corrected_package_then_loads(tmp_path):
    folder = write_package(
        tmp_path / "loader_fixable",
        {
            "experiment.py": """
                from experiments.experiment import Experiment

                from . import helpers


                class LoaderFixable(Experiment):
                    task = helpers.TASK
            """,
            "config.txt": "[Experiment]\n",
        },
    )

    with pytest.raises(ExperimentLoadError, match=r"Could not import .*experiment.py"):
        load(folder, tmp_path)

    (folder / "helpers.py").write_text('TASK = "fixed"\n')

    assert load(folder, tmp_path).experiment_class.task == "fixed"


def test_an_experiment_built_by_the_server_gets_the_session_and_sets_up(db, use_experiment):
    use_experiment(LOADER_BASIC)

    experiment = runtime.experiment()

    assert experiment.session is session
    assert experiment.rounds == 4  # configure() ran
    networks = list(Network.objects.order_by("id"))
    assert [network.role for network in networks] == ["experiment", "experiment"]
    assert [type(node).__name__ for network in networks for node in network.nodes()] == ["LoaderStorySource"] * 2

    runtime.experiment()  # built again for the next request: set-up does not repeat

    assert Network.objects.count() == 2


# Entry points ----------------------------------------------------------------------------------

ENTRY_POINT_EXPERIMENT = """
    from experiments.experiment import Experiment

    from . import models


    class LoaderEntryPointMain(Experiment):
        task = models.TASK


    class LoaderEntryPointOther(Experiment):
        task = "other"
"""


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """An installed distribution `loader-ep-dist` whose package `loader_ep_pkg` holds an experiment.

    Its entry points: the package, the module with a class, the module alone, and a missing package.
    """
    site = tmp_path / "site"
    write_package(
        site / "loader_ep_pkg",
        {
            "__init__.py": '"""An installed experiment package."""\n',
            "experiment.py": ENTRY_POINT_EXPERIMENT,
            "models.py": 'TASK = "installed"\n',
            "config.txt": "[Experiment]\n",
        },
    )
    dist_info = site / "loader_ep_dist-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: loader-ep-dist\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text(
        textwrap.dedent(
            """
            [dallinger.experiments]
            loader_ep_package = loader_ep_pkg
            loader_ep_class = loader_ep_pkg.experiment:LoaderEntryPointOther
            loader_ep_module = loader_ep_pkg.experiment
            loader_ep_missing = loader_ep_nowhere
            """
        )
    )
    monkeypatch.syspath_prepend(str(site))
    return site / "loader_ep_pkg"


def test_load_through_an_entry_point_naming_the_package(installed, tmp_path, monkeypatch):
    monkeypatch.setenv("EXPERIMENT_CLASS_NAME", "LoaderEntryPointMain")

    loaded = load("loader_ep_package", tmp_path)

    assert loaded.directory == installed.resolve()
    assert loaded.experiment_class.__name__ == "LoaderEntryPointMain"
    assert loaded.experiment_class.task == "installed"  # its relative import worked
    assert "loader_ep_pkg" not in sys.modules  # imported once, by the loader only


def test_an_entry_point_naming_a_class_picks_it(installed, tmp_path):
    loaded = load("loader_ep_class", tmp_path)

    assert loaded.directory == installed.resolve()
    assert loaded.experiment_class.__name__ == "LoaderEntryPointOther"


def test_experiment_class_name_wins_over_the_entry_points_class(installed, tmp_path, monkeypatch):
    monkeypatch.setenv("EXPERIMENT_CLASS_NAME", "LoaderEntryPointMain")

    assert load("loader_ep_class", tmp_path).experiment_class.__name__ == "LoaderEntryPointMain"


def test_an_entry_point_naming_the_module_finds_its_package(installed):
    assert find_experiment("loader_ep_module") == installed.resolve()


def test_an_entry_point_to_a_missing_package_is_a_clear_error(installed):
    with pytest.raises(ExperimentLoadError, match="'loader_ep_missing' points to loader_ep_nowhere"):
        find_experiment("loader_ep_missing")


def test_installed_experiments_are_listed_when_a_name_is_unknown(installed):
    with pytest.raises(ExperimentLoadError, match=r"not an installed experiment \(.*loader_ep_package"):
        find_experiment("loader_nowhere")


# The experiment's own routes -------------------------------------------------------------------


@pytest.fixture
def routed(use_experiment, db):
    """The routes package as the server's experiment (building one per request reads the database)."""
    return use_experiment(LOADER_ROUTES)


def test_a_route_returning_a_dict_answers_a_success_envelope(client, routed):
    response = client.get("/loader/echo", {"text": "hello"})

    assert response.status_code == 200
    assert response.json() == {"status": "success", "text": "hello", "has_session": True}


def test_a_route_returning_nothing_answers_a_bare_success(client, routed):
    assert client.get("/loader/nothing").json() == {"status": "success"}


def test_a_route_returning_a_response_sends_it_as_it_is(client, routed):
    page = client.get("/loader/page")
    teapot = client.get("/loader/teapot")

    assert (page.status_code, page["Content-Type"]) == (200, "text/html")
    assert page.content == b"<p>A page of the experiment.</p>"
    assert teapot.status_code == 418
    assert teapot.json() == {"status": "error", "message": "short and stout"}


def test_a_route_that_refuses_answers_the_error_envelope_with_its_status(client, routed, make_participant):
    theirs = make_participant(bound=False)
    mine = make_participant()

    refused = client.post(f"/loader/mine/{theirs.pk}")
    unknown = client.post("/loader/mine/999999")
    allowed = client.post(f"/loader/mine/{mine.pk}")

    assert refused.status_code == 403
    assert refused.json()["error_code"] == "participant_not_yours"
    assert refused.json()["status"] == "error" and "html" in refused.json()
    assert (unknown.status_code, unknown.json()["message"]) == (400, "There is no participant 999999.")
    assert allowed.json() == {"status": "success", "participant_id": mine.pk}


def test_a_route_returning_a_string_sends_html(client, routed):
    response = client.get("/loader/legacy")  # a Dallinger-style classmethod route

    assert response.status_code == 200
    assert response.content == b"A custom route for LoaderRoutes."
    assert response["Content-Type"].startswith("text/html")


def test_url_arguments_are_converted_and_passed(client, routed):
    assert client.get("/loader/double/21").json() == {"status": "success", "doubled": 42, "method": "GET"}
    assert client.post("/loader/double/5").json() == {"status": "success", "doubled": 10, "method": "POST"}


def test_a_url_argument_that_does_not_convert_is_not_found(client, routed):
    assert client.get("/loader/double/twenty").status_code == 404


def test_a_method_the_route_does_not_take_is_405(client, routed):
    response = client.delete("/loader/double/3")

    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"


def test_one_path_may_have_a_route_per_method(client, routed):
    form = client.get("/loader/answer")
    answer = client.post("/loader/answer", {"answer": "42"})

    assert form.content.startswith(b"<form")
    assert answer.json() == {"status": "success", "received": "42"}
    assert client.put("/loader/answer").status_code == 405


def test_an_unknown_path_is_404(client, routed):
    assert client.get("/loader/no-such-route").status_code == 404


def test_without_routes_every_other_path_is_404(client, use_experiment):
    use_experiment(LOADER_BASIC)

    assert client.get("/loader/echo").status_code == 404


def test_an_experiment_route_never_shadows_a_protocol_route(db, client, routed):
    summary = client.get("/summary")
    participant = client.get("/participant/12345")

    catch_all = resolve("/loader/echo").func  # where the experiment's routes are served from
    assert resolve("/summary").func is not catch_all
    assert resolve("/participant/12345").func is not catch_all
    assert summary.status_code == 200
    assert "shadowed" not in summary.json()
    assert "shadowed" not in participant.json()
    assert participant.status_code != 200  # no such participant: the protocol's answer
