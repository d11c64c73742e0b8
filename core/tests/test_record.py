"""Failure and its cascade, and the rules of Info, Transmission, Transformation and Vector."""

import pytest
from django.utils import timezone

from core.infos import Gene
from core.models import Info, Node, Question, Transformation, Transmission, Vector
from core.nodes import Agent, RandomBinaryStringSource
from core.transformations import Replication


class BrittleNode(Node):
    """A node whose failure always breaks."""

    class Meta:
        app_label = "core_tests"

    def fail(self, reason=None):
        raise RuntimeError("cannot fail this one")


class LegacyFailNode(Node):
    """A node written for old Dallinger, whose `fail` takes no reason."""

    class Meta:
        app_label = "core_tests"

    def fail(self):
        super().fail()


def make_info(origin, info_class=Info, **fields):
    info = info_class(origin=origin, **fields)
    info.save()
    return info


def reloaded(obj):
    return type(obj)._meta.concrete_model.objects.get(pk=obj.pk)


# fail() ---------------------------------------------------------------------------------


def test_fail_marks_failed_with_reason_and_aware_time_of_death(network):
    before = timezone.now()

    network.fail(reason="broken")

    stored = reloaded(network)
    assert stored.failed is True
    assert stored.failed_reason == "broken"
    assert timezone.is_aware(stored.time_of_death)
    assert before <= stored.time_of_death <= timezone.now()
    assert network.failed is True and network.time_of_death == stored.time_of_death


def test_fail_without_reason_leaves_reason_empty(make_node):
    node = make_node()

    node.fail()

    assert reloaded(node).failed_reason is None


def test_failing_twice_raises_attribute_error(network):
    network.fail()

    with pytest.raises(AttributeError, match=rf"^Cannot fail {network!r} - it has already failed.$"):
        network.fail()


@pytest.fixture
def world(make_node):
    """agent → node along `vector`, carrying `gene` (received); `copy` replicated at node;
    `note` transformed from `gene` at agent."""
    agent, node = make_node(Agent), make_node()
    [vector] = agent.connect(node)
    gene = make_info(agent, Gene, contents="g")
    [transmission] = agent.transmit(what=gene, to_whom=node)
    node.receive(what=transmission)
    copy = node.replicate(gene)
    note = make_info(agent, contents="n")
    at_agent = Transformation(info_in=gene, info_out=note)
    at_agent.save()
    replication = Replication.objects.get(info_out=copy)
    return {
        "agent": agent,
        "node": node,
        "vector": vector,
        "gene": gene,
        "transmission": transmission,
        "copy": copy,
        "note": note,
        "at_agent": at_agent,
        "replication": replication,
    }


def test_network_failure_cascades_with_reason_chains(network, world):
    w = world
    prefix = f"x->Network{network.pk}"
    at_agent = f"{prefix}->Agent{w['agent'].pk}"

    network.fail("x")

    expected = {
        "agent": prefix,
        "node": prefix,
        "vector": at_agent,
        "transmission": f"{at_agent}->Vector{w['vector'].pk}",
        "gene": at_agent,
        "at_agent": f"{at_agent}->Gene{w['gene'].pk}",
        "replication": f"{at_agent}->Gene{w['gene'].pk}",
        "note": at_agent,
        "copy": f"{prefix}->Node{w['node'].pk}",
    }
    actual = {name: reloaded(w[name]).failed_reason for name in expected}
    assert actual == expected
    assert reloaded(network).failed_reason == "x"
    assert all(reloaded(w[name]).failed and reloaded(w[name]).time_of_death for name in expected)


def test_node_failure_cascades_to_its_vectors_infos_transmissions_and_transformations(world):
    w = world
    root = f"->Node{w['node'].pk}"

    w["node"].fail()

    assert reloaded(w["vector"]).failed_reason == root
    assert reloaded(w["transmission"]).failed_reason == f"{root}->Vector{w['vector'].pk}"
    assert reloaded(w["copy"]).failed_reason == root
    assert reloaded(w["replication"]).failed_reason == f"{root}->Gene{w['copy'].pk}"
    assert not any(reloaded(w[name]).failed for name in ("agent", "gene", "note", "at_agent"))


def test_node_failure_reaches_its_transmissions_directly(make_node):
    sender, receiver = make_node(), make_node()
    [vector] = sender.connect(receiver)
    [transmission] = sender.transmit(what=make_info(sender), to_whom=receiver)
    # Fail the vector behind the cascade's back, so only the node's own transmissions step can reach it.
    Vector.objects.filter(pk=vector.pk).update(failed=True)

    receiver.fail("gone")

    assert reloaded(transmission).failed_reason == f"gone->Node{receiver.pk}"


def test_vector_failure_cascades_to_its_transmissions_only(make_node):
    sender, receiver = make_node(), make_node()
    [vector] = sender.connect(receiver)
    info = make_info(sender)
    [transmission] = sender.transmit(what=info, to_whom=receiver)

    vector.fail("cut")

    assert reloaded(transmission).failed_reason == f"cut->Vector{vector.pk}"
    assert not reloaded(info).failed and not reloaded(sender).failed


def test_info_failure_cascades_to_its_transmissions_and_transformations(world):
    w = world

    w["gene"].fail("bad")

    chained = f"bad->Gene{w['gene'].pk}"
    for name in ("transmission", "at_agent", "replication"):
        assert reloaded(w[name]).failed_reason == chained
    assert not any(reloaded(w[name]).failed for name in ("vector", "copy", "note", "agent"))


def test_transmission_and_transformation_failure_cascade_nowhere(world):
    w = world

    w["transmission"].fail()
    w["replication"].fail()

    assert not any(reloaded(w[name]).failed for name in ("vector", "gene", "copy", "node", "agent"))


def test_participant_failure_fails_nodes_and_questions_skipping_failed_questions(make_participant, network):
    participant = make_participant()
    node = Node(network=network, participant=participant)
    node.save()
    info = make_info(node)
    answered, withdrawn = (
        Question(participant=participant, number=n, question="q", response="r") for n in (1, 2)
    )
    answered.save()
    withdrawn.save()
    withdrawn.fail("withdrawn")

    participant.fail("quit")

    chained = f"quit->Participant{participant.pk}"
    assert reloaded(participant).failed_reason == "quit"
    assert reloaded(node).failed_reason == chained
    assert reloaded(answered).failed_reason == chained
    assert reloaded(withdrawn).failed_reason == "withdrawn"
    assert reloaded(info).failed_reason == f"{chained}->Node{node.pk}"


def test_failure_cascade_is_all_or_nothing(make_node, network):
    healthy = make_node()
    brittle = make_node(BrittleNode)
    [vector] = healthy.connect(brittle)

    with pytest.raises(RuntimeError):
        network.fail("x")

    assert not any(reloaded(obj).failed for obj in (network, healthy, vector))
    assert network.failed is False
    assert network.time_of_death is None


def test_network_can_be_failed_after_a_failed_attempt(make_node, network):
    brittle = make_node(BrittleNode)
    with pytest.raises(RuntimeError):
        network.fail()
    Node.objects.filter(pk=brittle.pk).update(type="node")

    network.fail("again")

    assert reloaded(network).failed_reason == "again"
    assert reloaded(brittle).failed


def test_cascade_calls_fail_without_reason_on_nodes_that_take_none(make_node, network):
    legacy = make_node(LegacyFailNode)

    network.fail("x")

    stored = reloaded(legacy)
    assert stored.failed is True
    assert stored.failed_reason is None


# Info -----------------------------------------------------------------------------------


def test_info_contents_can_be_set_while_empty(make_node):
    info = make_info(make_node())

    info.contents = "late"
    info.save()

    assert reloaded(info).contents == "late"


def test_info_contents_are_write_once(make_node):
    info = make_info(make_node(), contents="first")

    with pytest.raises(ValueError, match="^The contents of an info is write-once.$"):
        info.contents = "second"

    assert info.contents == "first"
    assert reloaded(info).contents == "first"


def test_reloading_an_info_does_not_trip_the_write_once_rule(make_node):
    info = make_info(make_node(), contents="first")

    info.refresh_from_db()
    again = Info.objects.get(pk=info.pk)

    assert info.contents == again.contents == "first"
    with pytest.raises(ValueError):
        again.contents = "other"


def test_live_info_cannot_be_added_to_a_failed_node_but_a_failed_one_can(make_node):
    node = make_node()
    node.fail()

    with pytest.raises(ValueError, match=rf"^Only failed Infos can be added to {node!r}, as it has failed$"):
        make_info(node, contents="late")
    late = make_info(node, contents="late", failed=True)

    assert node.infos(failed=True) == [late]


def test_info_takes_its_network_from_its_origin(make_node, make_network):
    node = make_node()

    info = make_info(node, network=make_network())

    assert reloaded(info).network_id == node.network_id


def test_info_transmissions_by_status(make_node):
    sender, receiver = make_node(), make_node()
    sender.connect(receiver)
    info = make_info(sender)
    first, second, revoked = (sender.transmit(what=info, to_whom=receiver)[0] for _ in range(3))
    receiver.receive(what=first)
    revoked.fail()

    assert info.transmissions() == [first, second]
    assert info.transmissions(status="pending") == [second]
    assert info.transmissions(status="received") == [first]


def test_info_transmissions_rejects_bad_status(make_node):
    with pytest.raises(ValueError, match="^You cannot get transmission of status lost.Status can only be"):
        make_info(make_node()).transmissions(status="lost")


def test_info_transformations_by_relationship(make_node):
    node = make_node()
    parent, child, grandchild, orphan = (make_info(node) for _ in range(4))
    made_child = Transformation(info_in=parent, info_out=child)
    made_grandchild = Transformation(info_in=child, info_out=grandchild)
    dead = Transformation(info_in=child, info_out=orphan)
    for transformation in (made_child, made_grandchild, dead):
        transformation.save()
    dead.fail()

    assert child.transformations() == [made_child, made_grandchild]
    assert child.transformations(relationship="parent") == [made_grandchild]
    assert child.transformations(relationship="child") == [made_child]
    assert parent.transformations(relationship="child") == []


def test_info_transformations_rejects_bad_relationship(make_node):
    with pytest.raises(ValueError, match="^You cannot get transformations of relationship cousin"):
        make_info(make_node()).transformations(relationship="cousin")


# Transmission ---------------------------------------------------------------------------


@pytest.fixture
def line(make_node):
    """sender → receiver with an info at each end."""
    sender, receiver = make_node(), make_node()
    [vector] = sender.connect(receiver)
    return sender, receiver, vector, make_info(sender), make_info(receiver)


def test_transmission_copies_ends_and_network_from_its_vector(line, network):
    sender, receiver, vector, info, _ = line

    transmission = Transmission(vector=vector, info=info)
    transmission.save()

    stored = reloaded(transmission)
    assert (stored.origin_id, stored.destination_id, stored.network_id, stored.info_id) == (
        sender.pk,
        receiver.pk,
        network.pk,
        info.pk,
    )
    assert (stored.status, stored.receive_time) == ("pending", None)


def test_transmission_along_a_failed_vector_is_rejected_first(line):
    sender, receiver, vector, info, _ = line
    vector.fail()
    info.fail()

    with pytest.raises(ValueError, match=rf"^Cannot transmit along {vector!r} as it has failed.$"):
        Transmission(vector=vector, info=info).save()


def test_transmission_of_a_failed_info_is_rejected(line):
    sender, receiver, vector, info, _ = line
    info.fail()

    with pytest.raises(ValueError, match=rf"^Cannot transmit {info!r} as it has failed.$"):
        Transmission(vector=vector, info=info).save()


def test_transmission_of_an_info_from_another_node_is_rejected(line):
    sender, receiver, vector, _, foreign = line

    with pytest.raises(
        ValueError, match=rf"^Cannot transmit {foreign!r} along {vector!r} as they do not have the same origin$"
    ):
        Transmission(vector=vector, info=foreign).save()
    assert Transmission.objects.count() == 0


def test_mark_received_sets_status_and_receive_time(line):
    sender, receiver, vector, info, _ = line
    transmission = Transmission(vector=vector, info=info)
    transmission.save()

    transmission.mark_received()

    stored = reloaded(transmission)
    assert stored.status == "received"
    assert timezone.is_aware(stored.receive_time)
    assert receiver.received_infos() == [info]


# Transformation -------------------------------------------------------------------------


def test_transformation_at_one_node_is_placed_there(line, network):
    sender, receiver, vector, info, _ = line
    result = make_info(sender)

    transformation = Transformation(info_in=info, info_out=result)
    transformation.save()

    assert (reloaded(transformation).node_id, reloaded(transformation).network_id) == (sender.pk, network.pk)


def test_transformation_across_nodes_needs_info_in_received_by_info_out_origin(line):
    sender, receiver, vector, info, result = line
    [transmission] = sender.transmit(what=info, to_whom=receiver)

    message = rf"^Cannot transform {info!r} into {result!r} as they are not at the same node.$"
    with pytest.raises(ValueError, match=message):
        Transformation(info_in=info, info_out=result).save()
    receiver.receive(what=transmission)
    transformation = Transformation(info_in=info, info_out=result)
    transformation.save()

    assert reloaded(transformation).node_id == receiver.pk


def test_transformation_does_not_count_a_failed_transmission_as_received(line):
    sender, receiver, vector, info, result = line
    [transmission] = sender.transmit(what=info, to_whom=receiver)
    receiver.receive(what=transmission)
    transmission.fail()

    with pytest.raises(ValueError, match="not at the same node"):
        Transformation(info_in=info, info_out=result).save()


def test_transformation_of_failed_infos_is_rejected(make_node):
    node = make_node()
    dead_in, live_in, live_out, dead_out = (make_info(node) for _ in range(4))
    dead_in.fail()
    dead_out.fail()

    with pytest.raises(ValueError, match=rf"^Cannot transform {dead_in!r} as it has failed$"):
        Transformation(info_in=dead_in, info_out=live_out).save()
    with pytest.raises(ValueError, match=rf"^Cannot transform {dead_out!r} as it has failed$"):
        Transformation(info_in=live_in, info_out=dead_out).save()
    assert Transformation.objects.count() == 0


def test_transformation_checks_same_node_before_failed(line):
    sender, receiver, vector, info, result = line
    info.fail()

    with pytest.raises(ValueError, match="not at the same node"):
        Transformation(info_in=info, info_out=result).save()


# Vector ---------------------------------------------------------------------------------


def test_vector_checks_network_first(make_node, make_network):
    origin = make_node()
    elsewhere = make_node(network=make_network())
    origin.fail()
    elsewhere.fail()

    with pytest.raises(
        ValueError,
        match=rf"^{origin!r}, in network {origin.network_id}, cannot connect with {elsewhere!r} "
        rf"as it is in network {elsewhere.network_id}$",
    ):
        Vector(origin=origin, destination=elsewhere).save()


def test_vector_checks_failed_origin_before_failed_destination(make_node):
    origin, destination = make_node(), make_node()
    origin.fail()
    destination.fail()

    with pytest.raises(ValueError, match=rf"^{origin!r} cannot connect to {destination!r} as {origin!r} has failed$"):
        Vector(origin=origin, destination=destination).save()


def test_vector_checks_failed_destination_before_source(make_node):
    origin, source = make_node(), make_node(RandomBinaryStringSource)
    source.fail()

    with pytest.raises(ValueError, match=rf"^{origin!r} cannot connect to {source!r} as {source!r} has failed$"):
        Vector(origin=origin, destination=source).save()


def test_vector_checks_source_before_self(make_node):
    source = make_node(RandomBinaryStringSource)

    with pytest.raises(TypeError, match=rf"^Cannot connect to {source!r} as it is a Source.$"):
        Vector(origin=source, destination=source).save()


def test_vector_to_itself_is_rejected_last(make_node):
    node = make_node()

    with pytest.raises(ValueError, match=rf"^{node!r} cannot connect to itself.$"):
        Vector(origin=node, destination=node).save()
    assert Vector.objects.count() == 0


def test_vector_takes_its_network_from_its_origin(make_node, network, make_network):
    origin, destination = make_node(), make_node()

    vector = Vector(origin=origin, destination=destination, network=make_network())
    vector.save()

    assert reloaded(vector).network_id == network.pk


def test_vector_transmissions_by_status(line):
    sender, receiver, vector, info, _ = line
    first, second = (sender.transmit(what=info, to_whom=receiver)[0] for _ in range(2))
    receiver.receive(what=first)

    assert vector.transmissions() == [first, second]
    assert vector.transmissions(status="received") == [first]
    assert vector.transmissions(status="pending") == [second]
    with pytest.raises(ValueError, match="^You cannot get lost transmissions.Status can only be"):
        vector.transmissions(status="lost")

