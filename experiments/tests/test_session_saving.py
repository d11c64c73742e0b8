"""An experiment written as Dallinger's are (experiments/tests/experiments/session_saving):
objects made in setup, create_node, create_information, update() and hooks are saved through
the session, and its models' hybrid properties and identities work in queries."""

import pytest

from core.models import Info, Node, Transformation
from core.polymorphism import registry
from experiments.tests.api_support import TEST_EXPERIMENTS, create_participant, success

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def saving(use_experiment):
    return use_experiment(TEST_EXPERIMENTS / "session_saving")


def _node(client) -> dict:
    participant = create_participant(client)["participant"]
    return success(client.post(f"/node/{participant['id']}"))["node"]


def test_a_source_only_constructed_in_setup_is_saved_by_the_commit(client, saving):
    _node(client)

    source = Node.objects.get(type="storysource")
    assert source.network_id is not None
    # The abstract class names no rows: no identity of its own.
    assert "abstractstorysource" not in registry.classes(Node)


def test_create_node_with_session_add_and_commit_makes_one_node_with_its_score(client, saving):
    node = _node(client)

    assert node["type"] == "scored_node"
    assert node["property1"] == "2"
    assert Node.objects.filter(type="scored_node").count() == 1


def test_unsaved_info_from_create_information_is_saved_and_transmitted(client, saving):
    node = _node(client)

    received = success(client.get(f"/node/{node['id']}/received_infos"))["infos"]
    assert [info["contents"] for info in received] == ["a story"]
    assert received[0]["type"] == "guess"


def test_objects_made_in_update_without_saving_are_saved_with_the_receipt(client, saving):
    node = _node(client)

    answer = Info.objects.get(origin_id=node["id"])
    assert answer.contents == "a story!"
    # Saved when update() returned, so the experiment's next lines already saw it.
    assert Node.objects.get(pk=node["id"]).property2 == "1"
    retelling = Transformation.objects.get()
    assert (retelling.type, retelling.info_out_id) == ("retelling", answer.pk)


def test_an_info_made_in_a_hook_is_saved_with_the_request(client, saving):
    node = _node(client)

    success(client.post(f"/info/{node['id']}", {"contents": "hello"}))

    assert Info.objects.filter(origin_id=node["id"], contents="a reply to hello").count() == 1


def test_hybrid_property_queries_compare_numbers_not_text(client, saving):
    for _ in range(3):
        _node(client)  # scores 2, 3, 4

    # As text, "10" < "3"; cast to integers it is not.
    success(client.post(f"/saving/rescore/{Node.objects.filter(type='scored_node').first().pk}"))

    assert success(client.get("/saving/high_scores/3"))["scores"] == [10, 4, 3]


def test_a_changed_row_is_written_by_commit_in_a_custom_route(client, saving):
    node = _node(client)

    assert success(client.post(f"/saving/rescore/{node['id']}"))["score"] == 10

    assert Node.objects.get(pk=node["id"]).property1 == "10"
