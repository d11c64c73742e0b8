"""Node creation rules and the Node query API: vectors, neighbours, connections, infos, transmissions."""

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from core.infos import Gene, Meme
from core.models import Info, Network, Node, Transformation, Transmission, Vector
from core.nodes import Agent, ReplicatorAgent, Source
from core.savepoints import all_or_nothing
from core.transformations import Mutation, Replication


class SilentSource(Source):
    """A source used only as a connection endpoint in these tests."""

    class Meta:
        app_label = "core_tests"

    def _contents(self):
        return "silence"


def send(sender, receiver, info, *, receive=True):
    """Transmit `info` from `sender` to `receiver` (already connected) and optionally receive it."""
    [transmission] = sender.transmit(what=info, to_whom=receiver)
    if receive:
        receiver.receive(what=transmission)
        transmission.refresh_from_db()
    return transmission


def make_info(origin, info_class=Info, **fields):
    info = info_class(origin=origin, **fields)
    info.save()
    return info


# Creation -------------------------------------------------------------------------------


def test_node_cannot_be_created_in_a_failed_network(network):
    network.fail()

    with pytest.raises(ValueError, match=rf"^Cannot create node in {network!r} as it has failed$"):
        Node(network=network).save()

    assert Node.objects.count() == 0


def test_failed_participant_cannot_create_a_node(network, make_participant):
    participant = make_participant()
    participant.fail()

    with pytest.raises(ValueError, match=rf"^{participant!r} cannot create a node as it has failed$"):
        Node(network=network, participant=participant).save()

    assert Node.objects.count() == 0


@pytest.mark.parametrize("status", ["submitted", "approved", "returned", "abandoned", "overrecruited"])
def test_participant_who_is_not_working_cannot_create_a_node(network, make_participant, status):
    participant = make_participant(status=status)

    with pytest.raises(ValueError, match=rf"^{participant!r} cannot create a node as they are not working$"):
        Node(network=network, participant=participant).save()

    assert Node.objects.count() == 0


def test_node_creation_checks_network_before_participant(network, make_participant):
    participant = make_participant(status="submitted")
    participant.fail()
    network.fail()

    with pytest.raises(ValueError, match="^Cannot create node in"):
        Node(network=network, participant=participant).save()


def test_node_creation_checks_participant_failed_before_status(network, make_participant):
    participant = make_participant(status="submitted")
    participant.fail()

    with pytest.raises(ValueError, match="as it has failed$"):
        Node(network=network, participant=participant).save()


def test_working_participant_creates_a_node_that_belongs_to_them(network, make_participant):
    participant = make_participant()

    node = Node(network=network, participant=participant)
    node.save()

    assert node.participant_id == participant.pk
    assert node.network_id == network.pk
    assert node.type == "node"


def test_creating_nodes_recomputes_network_full_counting_the_new_node(make_network):
    network = make_network(max_size=2)

    Node(network=network).save()
    full_after_first = Network.objects.get(pk=network.pk).full
    Node(network=network).save()

    assert full_after_first is False
    assert network.full is True
    assert Network.objects.get(pk=network.pk).full is True


def test_a_new_node_writes_its_network_row_only_when_full_changes(make_network):
    network = make_network(max_size=2)

    with CaptureQueriesContext(connection) as first:
        Node(network=network).save()
    with CaptureQueriesContext(connection) as second:
        Node(network=network).save()

    def network_writes(captured):
        return [query["sql"] for query in captured if query["sql"].startswith('UPDATE "network"')]

    assert network_writes(first) == []  # still not full: the row is left alone
    assert len(network_writes(second)) == 1
    assert Network.objects.get(pk=network.pk).full is True


# vectors() ------------------------------------------------------------------------------


@pytest.fixture
def triangle(make_node):
    """a → b, c → a, and a failed vector a → c."""
    a, b, c = make_node(), make_node(), make_node()
    [a_to_b] = a.connect(b)
    [c_to_a] = c.connect(a)
    [a_to_c] = a.connect(c)
    a_to_c.fail()
    return a, b, c, a_to_b, c_to_a, a_to_c


def test_vectors_by_direction(triangle):
    a, b, c, a_to_b, c_to_a, a_to_c = triangle

    assert a.vectors() == [a_to_b, c_to_a]
    assert a.vectors(direction="all") == [a_to_b, c_to_a]
    assert a.vectors(direction="outgoing") == [a_to_b]
    assert a.vectors(direction="incoming") == [c_to_a]
    assert b.vectors(direction="outgoing") == []


def test_vectors_failed_filter(triangle):
    a, b, c, a_to_b, c_to_a, a_to_c = triangle

    assert a.vectors(failed=True) == [a_to_c]
    assert a.vectors(failed="all") == [a_to_b, c_to_a, a_to_c]
    assert a.vectors(direction="outgoing", failed="all") == [a_to_b, a_to_c]


def test_failed_arguments_accept_zero_and_one_as_upstream(triangle):
    a, b, c, a_to_b, c_to_a, a_to_c = triangle

    assert a.vectors(failed=0) == [a_to_b, c_to_a]
    assert a.vectors(failed=1) == [a_to_c]


def test_vectors_rejects_bad_direction_and_failed(make_node):
    node = make_node()

    with pytest.raises(ValueError, match="^up is not a valid vector direction. Must be all, incoming or outgoing.$"):
        node.vectors(direction="up")
    with pytest.raises(ValueError, match="^maybe is not a valid vector failed$"):
        node.vectors(failed="maybe")


# neighbors() ----------------------------------------------------------------------------


@pytest.fixture
def star(make_node):
    """hub → agent, replicator → hub, hub ↔ plain, source → hub; a failed vector hub → lost."""
    hub = make_node()
    agent = make_node(Agent)
    replicator = make_node(ReplicatorAgent)
    plain = make_node()
    source = make_node(SilentSource)
    lost = make_node(Agent)
    hub.connect(agent)
    hub.connect(replicator, direction="from")
    hub.connect(plain, direction="both")
    source.connect(hub)
    [hub_to_lost] = hub.connect(lost)
    hub_to_lost.fail()
    return hub, agent, replicator, plain, source, lost


def test_neighbors_to_are_destinations_of_live_outgoing_vectors(star):
    hub, agent, replicator, plain, source, lost = star

    assert hub.neighbors() == [agent, plain]
    assert hub.neighbors(direction="to") == [agent, plain]


def test_neighbors_from_are_origins_of_live_incoming_vectors(star):
    hub, agent, replicator, plain, source, lost = star

    assert hub.neighbors(direction="from") == [replicator, plain, source]


def test_neighbors_either_and_both(star):
    hub, agent, replicator, plain, source, lost = star

    assert set(hub.neighbors(direction="either")) == {agent, replicator, plain, source}
    assert hub.neighbors(direction="both") == [plain]


def test_neighbors_filters_by_type_including_subclasses_and_returns_subclass_instances(star):
    hub, agent, replicator, plain, source, lost = star

    agents = hub.neighbors(type=Agent, direction="either")
    sources = hub.neighbors(type=Source, direction="from")

    assert agents == [agent, replicator]
    assert [type(node) for node in agents] == [Agent, ReplicatorAgent]
    assert hub.neighbors(type=ReplicatorAgent, direction="either") == [replicator]
    assert sources == [source]
    assert type(sources[0]) is SilentSource


@pytest.mark.parametrize("bad_type", [Info, "agent", Network])
def test_neighbors_rejects_a_type_that_is_not_a_node_class_with_value_error(make_node, bad_type):
    with pytest.raises(ValueError, match="is not a valid neighbor type"):
        make_node().neighbors(type=bad_type)


def test_neighbors_rejects_bad_direction(make_node):
    with pytest.raises(ValueError, match="^sideways not a valid neighbor connection"):
        make_node().neighbors(direction="sideways")


@pytest.mark.parametrize("failed", [False, True, "all"])
def test_neighbors_rejects_any_failed_argument(make_node, failed):
    with pytest.raises(ValueError, match="failed argument to neighbors"):
        make_node().neighbors(failed=failed)


# is_connected() -------------------------------------------------------------------------


@pytest.fixture
def pair_and_mutual(make_node):
    """a → b only; a ↔ c; d unconnected; a → e through a failed vector."""
    a, b, c, d, e = (make_node() for _ in range(5))
    a.connect(b)
    a.connect(c, direction="both")
    [a_to_e] = a.connect(e)
    a_to_e.fail()
    return a, b, c, d, e


def test_is_connected_to_follows_outgoing_vectors(pair_and_mutual):
    a, b, c, d, e = pair_and_mutual

    assert a.is_connected(b) is True
    assert a.is_connected(b, direction="to") is True
    assert b.is_connected(a) is False
    assert a.is_connected(d) is False


def test_is_connected_from_either_and_both(pair_and_mutual):
    a, b, c, d, e = pair_and_mutual

    assert b.is_connected(a, direction="from") is True
    assert a.is_connected(b, direction="from") is False
    assert b.is_connected(a, direction="either") is True
    assert a.is_connected(b, direction="both") is False
    assert a.is_connected(c, direction="both") is True
    assert a.is_connected(d, direction="either") is False


def test_is_connected_ignores_failed_vectors(pair_and_mutual):
    a, b, c, d, e = pair_and_mutual

    assert a.is_connected(e) is False
    assert e.is_connected(a, direction="either") is False


def test_is_connected_with_a_list_answers_each_node_in_order(pair_and_mutual):
    a, b, c, d, e = pair_and_mutual

    assert a.is_connected([d, b, c, e]) == [False, True, True, False]
    assert a.is_connected([c, b], direction="both") == [True, False]
    assert a.is_connected([]) == []


@pytest.mark.parametrize("direction", ["to", "from", "either", "both"])
def test_node_is_never_connected_to_itself_even_with_vectors(pair_and_mutual, direction):
    a, b, c, d, e = pair_and_mutual

    assert a.is_connected(a, direction=direction) is False
    assert a.is_connected([a, c], direction=direction)[0] is False


@pytest.mark.parametrize("not_a_node", ["node", 3, None])
def test_is_connected_rejects_objects_that_are_not_nodes(make_node, not_a_node):
    node = make_node()

    with pytest.raises(TypeError, match="^is_connected cannot parse objects of type"):
        node.is_connected(not_a_node)
    with pytest.raises(TypeError, match="^is_connected cannot parse objects of type"):
        node.is_connected([node, not_a_node])


def test_is_connected_rejects_an_info(make_node):
    node = make_node()

    with pytest.raises(TypeError):
        node.is_connected(make_info(node))


@pytest.mark.parametrize("failed", [False, True, "all"])
def test_is_connected_rejects_any_failed_argument(make_node, failed):
    a, b = make_node(), make_node()

    with pytest.raises(ValueError, match="failed argument to is_connected"):
        a.is_connected(b, failed=failed)


def test_is_connected_rejects_bad_direction(make_node):
    a, b = make_node(), make_node()

    with pytest.raises(ValueError, match="^sideways is not a valid direction for is_connected$"):
        a.is_connected(b, direction="sideways")


# infos() and received_infos() -----------------------------------------------------------


def test_infos_are_those_this_node_created_filtered_by_type_and_failed(make_node):
    node, other = make_node(), make_node()
    gene, meme = make_info(node, Gene), make_info(node, Meme)
    plain = make_info(node)
    make_info(other)
    dead = make_info(node, Gene)
    dead.fail()

    assert node.infos() == [gene, meme, plain]
    assert node.infos(type=Gene) == [gene]
    assert type(node.infos(type=Meme)[0]) is Meme
    assert node.infos(failed=True) == [dead]
    assert node.infos(type=Gene, failed="all") == [gene, dead]


def test_infos_rejects_bad_type_and_failed(make_node):
    node = make_node()

    with pytest.raises(TypeError, match="^Cannot get infos of type .* as it is not a valid type.$"):
        node.infos(type=Node)
    with pytest.raises(ValueError, match="^sometimes is not a valid infos failed$"):
        node.infos(failed="sometimes")


def test_received_infos_are_infos_of_received_live_transmissions(make_node):
    sender, receiver = make_node(), make_node()
    sender.connect(receiver)
    gene, meme, pending, revoked = (make_info(sender, cls) for cls in (Gene, Meme, Info, Info))
    send(sender, receiver, gene)
    send(sender, receiver, meme)
    send(sender, receiver, pending, receive=False)
    send(sender, receiver, revoked).fail()

    assert receiver.received_infos() == [gene, meme]
    assert receiver.received_infos(type=Meme) == [meme]
    assert sender.received_infos() == []


def test_received_infos_rejects_failed_argument_and_bad_type(make_node):
    node = make_node()

    with pytest.raises(ValueError, match="failed argument to received_infos"):
        node.received_infos(failed=False)
    with pytest.raises(TypeError, match="is not a valid type"):
        node.received_infos(type=Vector)


# transmissions() ------------------------------------------------------------------------


@pytest.fixture
def traffic(make_node):
    """a sends two infos to b (one received), b sends one back, and a failed transmission a → b."""
    a, b = make_node(), make_node()
    a.connect(b, direction="both")
    a_infos = [make_info(a) for _ in range(3)]
    received = send(a, b, a_infos[0])
    pending = send(a, b, a_infos[1], receive=False)
    revoked = send(a, b, a_infos[2], receive=False)
    revoked.fail()
    back = send(b, a, make_info(b), receive=False)
    return a, b, received, pending, revoked, back


def test_transmissions_default_to_live_outgoing(traffic):
    a, b, received, pending, revoked, back = traffic

    assert a.transmissions() == [received, pending]
    assert a.transmissions(direction="incoming") == [back]
    assert a.transmissions(direction="all") == [received, pending, back]
    assert b.transmissions(direction="incoming") == [received, pending]


def test_transmissions_by_status(traffic):
    a, b, received, pending, revoked, back = traffic

    assert a.transmissions(status="pending") == [pending]
    assert a.transmissions(status="received") == [received]
    assert a.transmissions(direction="all", status="pending") == [pending, back]


def test_transmissions_honour_the_failed_argument(traffic):
    a, b, received, pending, revoked, back = traffic

    assert a.transmissions(failed=True) == [revoked]
    assert a.transmissions(failed="all") == [received, pending, revoked]
    assert b.transmissions(direction="incoming", status="pending", failed="all") == [pending, revoked]


def test_transmissions_reject_bad_direction_status_and_failed(make_node):
    node = make_node()

    with pytest.raises(ValueError, match="^You cannot get transmissions of direction up.Type can only be"):
        node.transmissions(direction="up")
    with pytest.raises(ValueError, match="^You cannot get transmission of status lost.Status can only be"):
        node.transmissions(status="lost")
    with pytest.raises(ValueError, match="^never is not a valid transmission failed$"):
        node.transmissions(failed="never")


# transformations() ----------------------------------------------------------------------


def test_transformations_are_those_at_this_node_filtered_by_type_and_failed(make_node):
    node, other = make_node(), make_node()
    original = make_info(node)
    plain = Transformation(info_in=original, info_out=make_info(node))
    plain.save()
    mutation = Mutation(info_in=original, info_out=make_info(node))
    mutation.save()
    dead = Replication(info_in=original, info_out=make_info(node))
    dead.save()
    dead.fail()
    Transformation(info_in=make_info(other), info_out=make_info(other)).save()

    assert node.transformations() == [plain, mutation]
    assert node.transformations(type=Mutation) == [mutation]
    assert type(node.transformations(type=Mutation)[0]) is Mutation
    assert node.transformations(failed=True) == [dead]
    assert node.transformations(failed="all") == [plain, mutation, dead]


def test_transformations_reject_bad_type_and_failed(make_node):
    node = make_node()

    with pytest.raises(TypeError):
        node.transformations(type=Transmission)
    with pytest.raises(ValueError, match="is not a valid transformation failed"):
        node.transformations(failed=None)



def test_a_failed_node_save_leaves_the_enclosing_transaction_usable(make_network, monkeypatch):
    network = make_network(max_size=5)

    def explode(self):
        raise RuntimeError("an experiment's network hook failed")

    monkeypatch.setattr(Network, "calculate_full", explode)
    with transaction.atomic():
        with pytest.raises(RuntimeError):
            Node(network=network).save()
        # The half-made node was rolled back to its savepoint; the transaction goes on.
        assert Node.objects.filter(network=network).count() == 0


def test_within_all_or_nothing_a_node_save_takes_no_savepoint_and_a_failure_ends_the_transaction(
    make_network, monkeypatch
):
    network = make_network(max_size=5)
    with transaction.atomic(), all_or_nothing():
        with CaptureQueriesContext(connection) as captured:
            Node(network=network).save()
    assert not [query for query in captured if "SAVEPOINT" in query["sql"]]
    assert Node.objects.filter(network=network).count() == 1

    def explode(self):
        raise RuntimeError("an experiment's network hook failed")

    monkeypatch.setattr(Network, "calculate_full", explode)
    with transaction.atomic(), all_or_nothing():
        with pytest.raises(RuntimeError):
            Node(network=network).save()
        # Nothing to go back to: the transaction can only be rolled back as a whole.
        with pytest.raises(TransactionManagementError):
            Node.objects.count()
        transaction.set_rollback(True)
    assert Node.objects.filter(network=network).count() == 1
