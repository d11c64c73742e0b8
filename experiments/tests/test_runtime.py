"""Building the request's experiment: set-up happens once even when first requests race."""

import shutil
import threading
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Network, Node, Participant
from core.nodes import Source
from core.record import clear_record
from experiments import runtime
from experiments.session import session
from tests.threads import at_once

PACKAGES = Path(__file__).parent / "experiments"


# Threads need a database they can share: the SQLite test database lives in one connection's memory.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_first_requests_set_the_experiment_up_once(use_experiment):
    use_experiment("bartlett1932")
    at_once(runtime.experiment, times=6)
    assert Network.objects.count() == 1
    assert Node.objects.filter(type__in=["war_of_the_ghosts_source"]).count() == 1
    assert len(Source.objects.all()) == 1


@pytest.mark.django_db
def test_create_participant_override_with_the_older_signature_still_works(client, use_experiment):
    use_experiment(PACKAGES / "runtime_old_signature")

    response = client.post("/participant?assignmentId=A1&workerId=W1&hitId=H1&mode=debug&colour=blue")

    assert response.status_code == 200, response.content
    participant = Participant.objects.get(assignment_id="A1")
    assert participant.details == {"made_by": "old signature"}
    assert participant.entry_information == {"colour": "blue"}


@pytest.mark.django_db
def test_a_thread_keeps_its_experiment_while_the_networks_and_configuration_stay(use_experiment):
    loaded = use_experiment("bartlett1932")
    first = runtime.experiment()  # sets the networks up
    second = runtime.experiment()

    assert runtime.experiment() is second
    assert Network.objects.count() == 1

    loaded.config.set("num_participants", 7)
    rebuilt = runtime.experiment()
    assert rebuilt is not second
    assert rebuilt.num_participants == 7
    assert first is not second  # built during set-up, before any network existed


@pytest.mark.django_db(transaction=True)
def test_an_experiment_whose_networks_are_gone_is_built_again_and_sets_them_up(use_experiment):
    use_experiment("bartlett1932")
    runtime.experiment()
    kept = runtime.experiment()
    clear_record()

    assert runtime.experiment() is not kept
    assert Network.objects.count() == 1
    assert Source.objects.count() == 1


@pytest.mark.django_db
def test_what_needs_only_the_configuration_reuses_the_kept_instance_without_a_query(use_experiment):
    loaded = use_experiment("chatroom")
    runtime.experiment()  # sets the networks up
    kept = runtime.experiment()

    with CaptureQueriesContext(connection) as captured:
        assert runtime.experiment_as_configured() is kept
    assert len(captured) == 0

    loaded.config.set("quorum", 5)
    rebuilt = runtime.experiment_as_configured()
    assert rebuilt is not kept
    assert rebuilt.quorum == 5


@pytest.mark.django_db
def test_what_needs_only_the_configuration_builds_the_experiment_when_none_is_kept(use_experiment):
    use_experiment("chatroom")
    runtime.forget_instances()

    assert runtime.experiment_as_configured().quorum == 2
    assert Network.objects.count() > 0  # built as a request builds it: the networks set up


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_each_thread_has_its_own_experiment_instance(use_experiment):
    use_experiment("bartlett1932")
    runtime.experiment()
    here = runtime.experiment()
    there = []

    def other_thread():
        there.append(runtime.experiment())
        connection.close()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()

    assert there[0] is not here
    assert runtime.experiment() is here


@pytest.mark.django_db(transaction=True)
def test_an_experiment_is_built_again_when_the_record_was_cleared_and_set_up_elsewhere(use_experiment):
    loaded = use_experiment("bartlett1932")
    runtime.experiment()
    kept = runtime.experiment()

    clear_record()
    loaded.experiment_class(session)  # another process sets the record up again

    assert Network.objects.count() == 1
    assert runtime.experiment() is not kept


def test_threads_that_load_the_experiment_at_once_all_get_the_one_load(settings, tmp_path, use_experiment):
    # Given an experiment package this process has never loaded (a fresh copy), with its
    # own configuration key, and threads that ask for it at once (a server's first requests)
    package = tmp_path / "swarm_copy"
    shutil.copytree(Path(__file__).resolve().parents[2] / "tests" / "experiments" / "swarm", package)
    settings.DALLINGER_EXPERIMENT = str(package)
    loaded = at_once(runtime.active, 8)  # fails the test if any thread raised

    # Then none saw another's half-built configuration, and all got the same experiment
    assert len({id(experiment) for experiment in loaded}) == 1
    assert loaded[0].config.get("places") is None  # registered, and not set
