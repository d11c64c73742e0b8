"""Fixtures shared by every test: a network, nodes and participants to build on."""

import itertools

import pytest

from core.models import Network, Node, Participant

_worker_numbers = itertools.count(1)


def pytest_collection_modifyitems(config, items):
    """Skip tests marked `postgres` when the tests run on SQLite (no DATABASE_URL)."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run the tests with scripts/test")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def make_network(db):
    """Create and save a network: `make_network(Chain, max_size=3)`."""

    def make(network_class=Network, **fields):
        network = network_class(**fields)
        network.save()
        return network

    return make


@pytest.fixture
def network(make_network):
    """A plain saved Network."""
    return make_network()


@pytest.fixture
def make_participant(db, client):
    """Create and save a working participant with unique worker and assignment ids.

    The test's `client` holds the participant, as the browser that created it would
    (experiments/binding.py); `make_participant(bound=False)` leaves it unheld.
    """
    from experiments.binding import cookie_name, participant_token

    def make(bound=True, **fields):
        number = next(_worker_numbers)
        values = {
            "recruiter_id": "hotair",
            "worker_id": f"worker{number}",
            "assignment_id": f"assignment{number}",
            "hit_id": "hit1",
            "mode": "debug",
        }
        values.update(fields)
        participant = Participant(**values)
        participant.save()
        if bound:
            client.cookies[cookie_name(participant.pk)] = participant_token(participant)
        return participant

    return make


@pytest.fixture
def make_node(network):
    """Create and save a node: `make_node()`, `make_node(Agent, network=other, participant=p)`."""

    def make(node_class=Node, **fields):
        fields.setdefault("network", network)
        node = node_class(**fields)
        node.save()
        return node

    return make


@pytest.fixture(autouse=True)
def _fresh_experiment_instance():
    """Each test builds its own experiment instance (the server keeps one per thread)."""
    from experiments import runtime

    runtime.forget_instances()
    yield
    runtime.forget_instances()


@pytest.fixture(autouse=True, scope="session")
def _celery_tasks_run_in_process():
    """Background tasks run in the test process, when their transaction commits.

    Tests that need a real worker start one themselves.
    """
    from dallinger_project.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


@pytest.fixture
def use_experiment(settings):
    """Make `name_or_path` the server's experiment for this test: `use_experiment("bartlett1932")`."""
    from experiments import runtime
    from experiments.page_templates import reset_template_cache

    def use(name_or_path, **config_overrides):
        settings.DALLINGER_EXPERIMENT = str(name_or_path)
        loaded = runtime.reload()
        reset_template_cache()
        for key, value in config_overrides.items():
            loaded.config.set(key, value)
        return loaded

    yield use
    settings.DALLINGER_EXPERIMENT = ""
    runtime.reload()
    reset_template_cache()


@pytest.fixture
def fake_prolific():
    """A fake Prolific API on a free local port (tests/fakes/prolific.py); its token is `fake_prolific.token`."""
    from tests.fakes.prolific import FakeProlific

    with FakeProlific() as fake:
        yield fake


@pytest.fixture
def published(monkeypatch):
    """Every (channel, payload) the real-time layer is asked to publish during the test, in order.

    Frames for one participant alone (`publish_to_participant`) are listed too, and in
    `.personal` as (participant id, channel, payload)."""
    from core import realtime

    class Published(list):
        personal: list

    sent = Published()
    sent.personal = []

    def personal(participant_id, channel, payload):
        sent.append((channel, payload))
        sent.personal.append((participant_id, channel, payload))

    monkeypatch.setattr(realtime, "publish", lambda channel, payload: sent.append((channel, payload)))
    monkeypatch.setattr(realtime, "publish_to_participant", personal)
    return sent
