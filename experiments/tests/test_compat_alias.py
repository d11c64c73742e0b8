"""`import dallinger.X` and `import flask` in experiments written for Dallinger: what each name gives,
the errors for what is not supported, and a real installed package winning over the alias."""

import importlib
import sys
import textwrap
import warnings

import pytest

import bots.base
import core.infos
import core.models
import core.networks
import core.nodes
import core.transformations
import experiments.config
import experiments.experiment
import experiments.session
import recruitment.recruiters
from experiments.compat import alias


def imported(name: str):
    """`import name` through the alias (installed as the loader installs it)."""
    alias.install()
    return importlib.import_module(name)


@pytest.fixture
def fresh_alias():
    """No alias and no alias modules before the test, and none left after it (nor the stand-in
    real packages a test imports)."""
    alias.uninstall()
    yield
    alias.uninstall()
    for name in ("dallinger", "flask"):
        sys.modules.pop(name, None)


# Each module's names -----------------------------------------------------------------------

PROJECT_NAMES = [
    ("dallinger.experiment", "Experiment", experiments.experiment.Experiment),
    ("dallinger.experiments", "Experiment", experiments.experiment.Experiment),
    ("dallinger.networks", "Chain", core.networks.Chain),
    ("dallinger.networks", "Empty", core.networks.Empty),
    ("dallinger.networks", "DiscreteGenerational", core.networks.DiscreteGenerational),
    ("dallinger.nodes", "Agent", core.nodes.Agent),
    ("dallinger.nodes", "Source", core.nodes.Source),
    ("dallinger.nodes", "Environment", core.nodes.Environment),
    ("dallinger.models", "Network", core.models.Network),
    ("dallinger.models", "Node", core.models.Node),
    ("dallinger.models", "Info", core.models.Info),
    ("dallinger.models", "Participant", core.models.Participant),
    ("dallinger.models", "Question", core.models.Question),
    ("dallinger.models", "Transformation", core.models.Transformation),
    ("dallinger.models", "Transmission", core.models.Transmission),
    ("dallinger.models", "Vector", core.models.Vector),
    ("dallinger.information", "Gene", core.infos.Gene),
    ("dallinger.information", "Meme", core.infos.Meme),
    ("dallinger.information", "State", core.infos.State),
    ("dallinger.transformations", "Mutation", core.transformations.Mutation),
    ("dallinger.transformations", "Replication", core.transformations.Replication),
    ("dallinger.config", "get_config", experiments.config.get_config),
    ("dallinger.db", "session", experiments.session.session),
    ("dallinger.recruiters", "BotRecruiter", recruitment.recruiters.BotRecruiter),
    ("dallinger.recruiters", "by_name", recruitment.recruiters.by_name),
]


@pytest.mark.parametrize(("module_name", "name", "expected"), PROJECT_NAMES)
def test_each_dallinger_module_gives_the_projects_own_object(module_name, name, expected):
    assert getattr(imported(module_name), name) is expected


def test_from_dallinger_import_a_module_works():
    imported("dallinger")
    namespace = {}
    exec("from dallinger import db, networks", namespace)

    assert namespace["db"].session is experiments.session.session
    assert namespace["networks"].Chain is core.networks.Chain


def test_get_config_accepts_load_and_gives_the_one_configuration():
    get_config = imported("dallinger.config").get_config

    assert get_config(load=True) is experiments.config.get_config()


def test_the_bot_bases_have_dallingers_contract():
    dallinger_bots = imported("dallinger.bots")

    assert issubclass(dallinger_bots.BotBase, bots.base.BotBase)
    assert issubclass(dallinger_bots.HighPerformanceBotBase, bots.base.HighPerformanceBotBase)
    assert dallinger_bots.BotBase.participate_decides is False
    assert dallinger_bots.HighPerformanceBotBase.participate_decides is False


def test_experiment_route_marks_a_flask_style_route():
    module = imported("dallinger.experiment")

    class Routed(module.Experiment):
        @module.experiment_route("/hello/<int:n>", methods=["POST"])
        @classmethod
        def hello(cls, n):
            return {"n": n}

    assert Routed.routes() == [("/hello/<int:n>", ("POST",), "hello")]
    assert Routed.hello.__func__.flask_style is True


def test_experiment_route_refuses_flask_options_it_does_not_have():
    experiment_route = imported("dallinger.experiment").experiment_route

    with pytest.raises(TypeError, match="only `methods` is supported here, not endpoint"):
        experiment_route("/hello", endpoint="hi")


def test_the_server_utils_give_dallingers_envelopes():
    utils = imported("dallinger.experiment_server.utils")

    assert utils.success_response(count=2).content == b'{"status": "success", "count": 2}'
    error = utils.error_response(error_text="No guess.", status=403, simple=True, error_code="no_guess")
    assert error.status_code == 403
    assert error["Content-Type"] == "application/json"
    assert error.content == b'{"status": "error", "error_code": "no_guess", "message": "No guess."}'


def test_the_utils_keep_dallingers_signatures(settings):
    utils = imported("dallinger.utils")
    settings.DALLINGER_BASE_URL = "https://experiment.example.org/"

    assert len(utils.generate_random_id(size=10)) == 10
    assert set(utils.generate_random_id(size=40, chars="ab")) <= {"a", "b"}
    assert utils.get_base_url() == "https://experiment.example.org"


def test_redis_conn_without_redis_says_what_it_needs(settings):
    settings.REDIS_URL = ""

    with pytest.raises(RuntimeError, match="needs Redis: set REDIS_URL"):
        imported("dallinger.db").redis_conn.get("key")


def test_flask_gives_the_route_names():
    flask = imported("flask")

    assert {name for name in vars(flask) if not name.startswith("_")} == {
        "Blueprint",
        "Response",
        "abort",
        "jsonify",
        "request",
    }
    assert flask.jsonify(a=1).content == b'{"a": 1}'


def test_flask_request_outside_a_route_is_a_clear_error():
    request = imported("flask").request

    with pytest.raises(RuntimeError, match="only available while an experiment route answers a request"):
        request.args


# What is not supported -------------------------------------------------------------------


def test_an_unknown_dallinger_module_names_the_supported_ones():
    with pytest.raises(ImportError) as raised:
        imported("dallinger.heroku")

    message = str(raised.value)
    assert message.startswith("No module named 'dallinger.heroku': experiments here can import dallinger.bots, ")
    assert "dallinger.experiment_server.utils" in message
    assert "Running a Dallinger experiment as it is" in message


def test_an_unknown_name_in_a_dallinger_module_names_what_the_module_has():
    imported("dallinger.experiment")

    with pytest.raises(ImportError, match=r"dallinger.experiment.scheduled_task is not supported here; "
                       r"dallinger.experiment has Experiment, experiment_route\."):  # fmt: skip
        exec("from dallinger.experiment import scheduled_task", {})


def test_an_unknown_name_in_the_dallinger_package_names_its_modules():
    imported("dallinger")

    with pytest.raises(ImportError, match=r"dallinger.heroku is not supported here; dallinger has bots, config, db, "):
        exec("from dallinger import heroku", {})


def test_an_unknown_flask_name_says_flask_is_not_installed():
    imported("flask")

    with pytest.raises(ImportError, match=r"flask.render_template is not supported here.*Flask is not installed"):
        exec("from flask import render_template", {})
    with pytest.raises(ImportError, match="Flask is not installed"):
        imported("flask.views")


# A real package wins ---------------------------------------------------------------------


def write_package(root, name: str, source: str) -> None:
    (root / name).mkdir()
    (root / name / "__init__.py").write_text(textwrap.dedent(source))


def test_a_real_dallinger_package_wins_with_a_warning(tmp_path, monkeypatch, fresh_alias):
    write_package(tmp_path, "dallinger", 'WHO = "the real one"\n')
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.warns(alias.DallingerFoundWarning, match="A dallinger package is installed"):
        alias.install()
    real = importlib.import_module("dallinger")

    assert real.WHO == "the real one"
    assert alias.installed().flask is True  # Flask is still stood in for


def test_a_real_flask_wins_without_a_warning(tmp_path, monkeypatch, fresh_alias):
    write_package(tmp_path, "flask", 'WHO = "the real one"\n')
    monkeypatch.syspath_prepend(str(tmp_path))

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alias.install()
    real = importlib.import_module("flask")

    assert real.WHO == "the real one"
    assert alias.installed().dallinger is True


def test_without_a_real_package_the_alias_answers_with_no_warning(fresh_alias):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        finder = alias.install()

    assert (finder.dallinger, finder.flask) == (True, True)
    assert importlib.import_module("dallinger.nodes").Agent is core.nodes.Agent
