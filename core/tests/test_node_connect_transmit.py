"""Node actions that build the network and send information: `connect` and `transmit`."""

import pytest

from core.infos import Gene, Meme
from core.models import Info, Transmission, Vector
from core.nodes import Agent, RandomBinaryStringSource


class GeneToAgents(Agent):
    """Sends only genes, and only to agents, by default."""

    class Meta:
        app_label = "core_tests"

    def _what(self):
        return Gene

    def _to_whom(self):
        return Agent


def make_info(origin, info_class=Info, **fields):
    info = info_class(origin=origin, **fields)
    info.save()
    return info


def links():
    """Every vector in the database as (origin id, destination id), oldest first."""
    return list(Vector.objects.order_by("id").values_list("origin_id", "destination_id"))


# connect() ------------------------------------------------------------------------------


def test_connect_to_creates_a_vector_from_this_node(make_node, network):
    a, b = make_node(), make_node()

    new_vectors = a.connect(b)

    [vector] = new_vectors
    assert (vector.origin_id, vector.destination_id, vector.network_id) == (a.pk, b.pk, network.pk)
    assert vector.pk is not None
    assert links() == [(a.pk, b.pk)]


def test_connect_from_creates_a_vector_to_this_node(make_node):
    a, b = make_node(), make_node()

    [vector] = a.connect(b, direction="from")

    assert (vector.origin_id, vector.destination_id) == (b.pk, a.pk)
    assert links() == [(b.pk, a.pk)]


def test_connect_both_creates_a_vector_each_way(make_node):
    a, b = make_node(), make_node()

    new_vectors = a.connect(b, direction="both")

    assert {(v.origin_id, v.destination_id) for v in new_vectors} == {(a.pk, b.pk), (b.pk, a.pk)}
    assert sorted(links()) == sorted([(a.pk, b.pk), (b.pk, a.pk)])


def test_connect_accepts_nested_lists(make_node):
    a, b, c, d = (make_node() for _ in range(4))

    new_vectors = a.connect([b, [c, [d]]])

    assert [v.destination_id for v in new_vectors] == [b.pk, c.pk, d.pk]
    assert a.neighbors() == [b, c, d]


def test_connect_skips_nodes_already_connected(make_node):
    a, b, c = make_node(), make_node(), make_node()
    a.connect(b)

    again = a.connect([b, c])

    assert [v.destination_id for v in again] == [c.pk]
    assert links() == [(a.pk, b.pk), (a.pk, c.pk)]


def test_connect_both_only_adds_the_missing_direction(make_node):
    a, b = make_node(), make_node()
    a.connect(b)

    [vector] = a.connect(b, direction="both")

    assert (vector.origin_id, vector.destination_id) == (b.pk, a.pk)
    assert a.connect(b, direction="both") == []
    assert Vector.objects.count() == 2


def test_connect_from_skips_nodes_already_connected_from(make_node):
    a, b = make_node(), make_node()
    b.connect(a)

    assert a.connect(b, direction="from") == []
    assert links() == [(b.pk, a.pk)]


def test_connect_replaces_a_failed_vector(make_node):
    a, b = make_node(), make_node()
    [old] = a.connect(b)
    old.fail()

    [new] = a.connect(b)

    assert new.pk != old.pk
    assert a.is_connected(b) is True


def test_connect_a_node_listed_twice_only_once(make_node):
    a, b = make_node(), make_node()

    new_vectors = a.connect([b, b, [b]])

    assert len(new_vectors) == 1
    assert links() == [(a.pk, b.pk)]


def test_connect_to_a_source_raises_type_error(make_node):
    a, source = make_node(), make_node(RandomBinaryStringSource)

    with pytest.raises(TypeError, match=rf"^Cannot connect to {source!r} as it is a Source.$"):
        a.connect(source)

    assert links() == []


def test_connect_from_a_source_works_both_ways_of_asking(make_node):
    a, b, source = make_node(), make_node(), make_node(RandomBinaryStringSource)

    a.connect(source, direction="from")
    source.connect(b)

    assert links() == [(source.pk, a.pk), (source.pk, b.pk)]


def test_connect_to_itself_raises_value_error(make_node):
    a = make_node()

    with pytest.raises(ValueError, match=rf"^{a!r} cannot connect to itself.$"):
        a.connect(a)


def test_connect_across_networks_raises_value_error(make_node, make_network):
    a = make_node()
    elsewhere = make_node(network=make_network())

    with pytest.raises(ValueError, match=rf"in network {a.network_id}, cannot connect with {elsewhere!r}"):
        a.connect(elsewhere)


def test_connect_from_or_to_a_failed_node_raises_value_error(make_node):
    a, b = make_node(), make_node()
    b.fail()

    with pytest.raises(ValueError, match=rf"as {b!r} has failed$"):
        a.connect(b)
    with pytest.raises(ValueError, match=rf"as {b!r} has failed$"):
        b.connect(a)
    with pytest.raises(ValueError, match=rf"as {b!r} has failed$"):
        a.connect(b, direction="from")


def test_connect_rejects_bad_direction(make_node):
    a, b = make_node(), make_node()

    with pytest.raises(ValueError, match="^sideways is not a valid direction for connect\\(\\)$"):
        a.connect(b, direction="sideways")


def test_connect_rejects_objects_that_are_not_nodes(make_node):
    a = make_node()

    with pytest.raises(TypeError):
        a.connect([make_node(), make_info(a)])

    assert links() == []


@pytest.mark.parametrize("direction", ["to", "both"])
def test_connect_failing_part_way_creates_nothing(make_node, make_network, direction):
    a, b, c = make_node(), make_node(), make_node()
    source = make_node(RandomBinaryStringSource)
    elsewhere = make_node(network=make_network())

    with pytest.raises(TypeError):
        a.connect([b, c, source], direction=direction)
    with pytest.raises(ValueError):
        a.connect([b, [c, elsewhere]], direction=direction)

    assert links() == []


# transmit() -----------------------------------------------------------------------------


@pytest.fixture
def sender(make_node):
    """An agent connected to two agents and a plain node, holding a gene, a meme and a failed gene."""
    node = make_node(Agent)
    first, second, plain = make_node(Agent), make_node(Agent), make_node()
    node.connect([first, second, plain])
    node.gene, node.meme = make_info(node, Gene), make_info(node, Meme)
    node.dead_gene = make_info(node, Gene)
    node.dead_gene.fail()
    node.first, node.second, node.plain = first, second, plain
    return node


def sent(transmissions):
    """The (info id, destination id) pairs of `transmissions`, as a set."""
    return {(t.info_id, t.destination_id) for t in transmissions}


def test_transmit_defaults_to_every_live_info_to_every_to_neighbour(sender):
    transmissions = sender.transmit()

    assert sent(transmissions) == {
        (info.pk, node.pk)
        for info in (sender.gene, sender.meme)
        for node in (sender.first, sender.second, sender.plain)
    }
    assert sent(Transmission.objects.all()) == sent(transmissions)
    assert all(t.status == "pending" and t.pk is not None for t in transmissions)


def test_transmit_fills_in_vector_ends_and_network(sender):
    [transmission] = sender.transmit(what=sender.gene, to_whom=sender.first)

    stored = Transmission.objects.get(pk=transmission.pk)
    vector = Vector.objects.get(origin=sender, destination=sender.first)
    assert (stored.vector_id, stored.origin_id, stored.destination_id, stored.network_id) == (
        vector.pk,
        sender.pk,
        sender.first.pk,
        sender.network_id,
    )
    assert stored.receive_time is None


def test_transmit_an_info_class_sends_live_infos_of_that_class(sender):
    transmissions = sender.transmit(what=Gene, to_whom=sender.first)

    assert sent(transmissions) == {(sender.gene.pk, sender.first.pk)}


def test_transmit_to_a_node_class_sends_to_to_neighbours_of_that_class(sender, make_node):
    outsider = make_node(Agent)
    outsider.connect(sender)

    transmissions = sender.transmit(what=sender.meme, to_whom=Agent)

    assert sent(transmissions) == {(sender.meme.pk, sender.first.pk), (sender.meme.pk, sender.second.pk)}


def test_transmit_with_none_uses_what_and_to_whom_defaults(make_node):
    picky = make_node(GeneToAgents)
    agent, plain = make_node(Agent), make_node()
    picky.connect([agent, plain])
    gene, _ = make_info(picky, Gene), make_info(picky, Meme)

    assert sent(picky.transmit()) == {(gene.pk, agent.pk)}
    assert sent(picky.transmit(what=None, to_whom=plain)) == {(gene.pk, plain.pk)}


def test_transmit_resolves_nested_lists_and_sends_each_pair_once(sender):
    transmissions = sender.transmit(
        what=[sender.gene, [Gene, [sender.gene]]], to_whom=[sender.first, [sender.first, Agent]]
    )

    assert len(transmissions) == 2
    assert sent(transmissions) == {(sender.gene.pk, sender.first.pk), (sender.gene.pk, sender.second.pk)}


def test_transmit_sends_again_when_asked_again(sender):
    sender.transmit(what=sender.gene, to_whom=sender.first)
    sender.transmit(what=sender.gene, to_whom=sender.first)

    assert Transmission.objects.filter(info=sender.gene, destination=sender.first).count() == 2


def test_transmit_to_an_unconnected_node_raises_and_sends_nothing(sender, make_node):
    stranger = make_node()

    message = rf"^{sender!r} cannot transmit to {stranger!r} as it does not have a connection to them$"
    with pytest.raises(ValueError, match=message):
        sender.transmit(what=[sender.gene, sender.meme], to_whom=[sender.first, stranger])

    assert Transmission.objects.count() == 0


def test_transmit_along_a_failed_vector_raises(sender):
    Vector.objects.get(origin=sender, destination=sender.first).fail()

    with pytest.raises(ValueError, match="does not have a connection"):
        sender.transmit(what=sender.gene, to_whom=sender.first)


def test_transmit_to_a_node_connected_only_towards_us_raises(sender):
    with pytest.raises(ValueError, match="does not have a connection"):
        sender.first.transmit(what=make_info(sender.first), to_whom=sender)


def test_transmit_with_nothing_to_send_or_nobody_to_send_to_returns_empty(sender, make_node):
    loner = make_node()
    make_info(loner)

    assert sender.transmit(what=[]) == []
    assert sender.transmit(to_whom=[]) == []
    assert sender.transmit(what=Info, to_whom=[]) == []
    assert make_node().transmit() == []
    assert loner.transmit() == []
    assert Transmission.objects.count() == 0


def test_transmit_an_info_from_another_node_raises_and_sends_nothing(sender):
    foreign = make_info(sender.first)

    message = rf"^Cannot transmit {foreign!r} along .* as they do not have the same origin$"
    with pytest.raises(ValueError, match=message):
        sender.transmit(what=[sender.gene, foreign], to_whom=sender.first)

    assert Transmission.objects.count() == 0


def test_transmit_a_failed_info_instance_raises(sender):
    with pytest.raises(ValueError, match=rf"^Cannot transmit {sender.dead_gene!r} as it has failed.$"):
        sender.transmit(what=sender.dead_gene, to_whom=sender.first)


def test_transmit_rejects_things_that_are_neither_infos_nor_nodes(sender):
    with pytest.raises(ValueError):
        sender.transmit(what="gene", to_whom=sender.first)
    with pytest.raises(ValueError):
        sender.transmit(what=sender.gene, to_whom="first")

    assert Transmission.objects.count() == 0


def test_source_transmitting_to_an_unconnected_node_creates_no_info(make_node):
    source, stranger = make_node(RandomBinaryStringSource), make_node()

    with pytest.raises(ValueError, match="does not have a connection"):
        source.transmit(to_whom=stranger)

    assert Info.objects.count() == 0
    assert Transmission.objects.count() == 0
