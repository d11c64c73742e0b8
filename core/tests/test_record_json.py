"""The JSON shape of every model of the experimental record (spec §3.11)."""

import pytest

from core.infos import Gene
from core.models import Info, Node, Notification, Question, Recruitment, Transformation
from core.nodes import Agent

BASE_KEYS = {
    "id",
    "creation_time",
    "failed",
    "failed_reason",
    "time_of_death",
    "property1",
    "property2",
    "property3",
    "property4",
    "property5",
    "details",
}


class ScoredInfo(Info):
    """An info that reports a score in its JSON."""

    class Meta:
        app_label = "core_tests"

    def json_data(self):
        return {**super().json_data(), "score": len(self.contents or "")}


def make_info(origin, info_class=Info, **fields):
    info = info_class(origin=origin, **fields)
    info.save()
    return info


@pytest.fixture
def record(make_participant, network, make_node):
    """One saved object of every model, connected the usual way."""
    participant = make_participant()
    agent = make_node(Agent, participant=participant)
    node = make_node()
    [vector] = agent.connect(node)
    gene = make_info(agent, Gene, contents="AT")
    [transmission] = agent.transmit(what=gene, to_whom=node)
    node.receive()
    transmission.refresh_from_db()
    copy = node.replicate(gene)
    transformation = Transformation.objects.get(info_out=copy)
    question = Question(participant=participant, number=1, question="questionnaire", response="{}")
    question.save()
    notification = Notification(assignment_id="A1", event_type="AssignmentSubmitted")
    notification.save()
    recruitment = Recruitment(recruiter_id="hotair")
    recruitment.save()
    return {
        "participant": participant,
        "network": network,
        "agent": agent,
        "vector": vector,
        "gene": gene,
        "transmission": transmission,
        "transformation": transformation,
        "question": question,
        "notification": notification,
        "recruitment": recruitment,
    }


EXTRA_KEYS = {
    "participant": {
        "type", "recruiter", "assignment_id", "hit_id", "mode", "end_time", "base_pay", "bonus",
        "status", "entry_information", "object_type",
    },
    "question": {"number", "type", "participant_id", "question", "response", "object_type"},
    "network": {
        "type", "max_size", "full", "role", "object_type",
        "n_pending_infos", "n_completed_infos", "n_failed_infos", "n_alive_nodes", "n_failed_nodes",
    },
    "agent": {"type", "network_id", "participant_id", "object_type"},
    "vector": {"origin_id", "destination_id", "network_id", "object_type"},
    "gene": {"type", "origin_id", "network_id", "contents", "object_type"},
    "transmission": {
        "vector_id", "origin_id", "destination_id", "info_id", "network_id", "receive_time", "status",
        "object_type",
    },
    "transformation": {"info_in_id", "info_out_id", "node_id", "network_id", "object_type"},
    "notification": set(),
    "recruitment": set(),
}  # fmt: skip

OBJECT_TYPES = {
    "participant": "Participant",
    "question": "Question",
    "network": "Network",
    "agent": "Node",
    "vector": "Vector",
    "gene": "Info",
    "transmission": "Transmission",
    "transformation": "Transformation",
}


@pytest.mark.parametrize("name", sorted(EXTRA_KEYS))
def test_json_has_exactly_the_documented_keys(record, name):
    assert set(record[name].__json__()) == BASE_KEYS | EXTRA_KEYS[name]


@pytest.mark.parametrize("name", sorted(OBJECT_TYPES))
def test_json_object_type_is_the_base_model_name(record, name):
    assert record[name].__json__()["object_type"] == OBJECT_TYPES[name]


def test_json_type_is_the_polymorphic_identity(record):
    agent_json = record["agent"].__json__()
    gene_json = record["gene"].__json__()

    assert (agent_json["type"], agent_json["object_type"]) == ("agent", "Node")
    assert (gene_json["type"], gene_json["object_type"]) == ("gene", "Info")
    assert record["transformation"].__json__()["object_type"] == "Transformation"
    assert record["network"].__json__()["type"] == "network"


def test_network_json_counts_nodes_infos_and_pending_transmissions(record):
    network, gene = record["network"], record["gene"]
    agent = record["agent"]
    agent.transmit(what=gene)  # one more transmission, left pending
    gene_twin = make_info(agent, contents="GC")
    gene_twin.fail()
    extra = Node(network=network)
    extra.save()
    extra.fail()

    counts = network.__json__()

    assert {key: counts[key] for key in ("n_alive_nodes", "n_failed_nodes")} == {
        "n_alive_nodes": 2,
        "n_failed_nodes": 1,
    }
    # gene and its replicated copy are live; gene_twin failed
    assert (counts["n_completed_infos"], counts["n_failed_infos"]) == (2, 1)
    assert counts["n_pending_infos"] == 1


def test_json_values_come_from_the_object(record):
    agent, vector, gene = record["agent"], record["vector"], record["gene"]
    transmission, participant = record["transmission"], record["participant"]
    gene.fail("spoiled")
    gene.refresh_from_db()

    gene_json = gene.__json__()
    assert gene_json["id"] == gene.pk
    assert (gene_json["origin_id"], gene_json["network_id"], gene_json["contents"]) == (
        agent.pk,
        agent.network_id,
        "AT",
    )
    assert (gene_json["failed"], gene_json["failed_reason"]) == (True, "spoiled")
    assert gene_json["time_of_death"] == gene.time_of_death
    assert gene_json["creation_time"] == gene.creation_time
    assert vector.__json__()["origin_id"] == agent.pk
    assert transmission.__json__()["status"] == "received"
    assert transmission.__json__()["receive_time"] == transmission.receive_time
    assert participant.__json__()["recruiter"] == "hotair"
    assert participant.__json__()["status"] == "working"


def test_participant_json_hides_worker_identity(record):
    participant_json = record["participant"].__json__()

    assert {"worker_id", "unique_id", "fingerprint_hash"}.isdisjoint(participant_json)


def test_json_data_override_in_a_subclass_adds_keys(make_node):
    info = make_info(make_node(), ScoredInfo, contents="abcd")

    info_json = info.__json__()

    assert set(info_json) == BASE_KEYS | EXTRA_KEYS["gene"] | {"score"}
    assert info_json["score"] == 4
    assert info_json["type"] == "scored_info"


def test_properties_and_details_appear_in_json(make_node):
    node = make_node()
    node.property3 = "three"
    node.details = {"colour": "red"}
    node.save()

    node_json = Node.objects.get(pk=node.pk).__json__()

    assert node_json["property3"] == "three"
    assert node_json["details"] == {"colour": "red"}
    assert node_json["property1"] is None


@pytest.mark.parametrize("name", ["notification", "recruitment"])
def test_notification_and_recruitment_json_have_only_shared_keys(record, name):
    record_json = record[name].__json__()

    assert set(record_json) == BASE_KEYS
    assert "object_type" not in record_json

