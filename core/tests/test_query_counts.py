"""Query counts of the network operations do not grow with the size of the network.

For each network type, the queries of `neighbors`, `transmit`, `receive`, saving a new
node and `add_node` are counted on a small network, and the same counts are required on
a network of 1,000 nodes. The networks are built in bulk, wired the way the type's
`add_node` would have wired them around the nodes measured.
"""

from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Info, Node, Transmission, Vector
from core.networks import (
    Burst,
    Chain,
    DelayedChain,
    DiscreteGenerational,
    Empty,
    FullyConnected,
    ScaleFree,
    SequentialMicrosociety,
    Star,
)
from core.nodes import Agent, RandomBinaryStringSource

pytestmark = pytest.mark.django_db

SMALL, BIG = 10, 1000


@dataclass(frozen=True)
class Shape:
    """How to build a network of one type and `size` nodes, and which nodes to measure."""

    network_class: type
    wire: object  # size -> iterable of (origin position, destination position)
    sources: tuple = ()  # positions of Sources
    params: object = lambda size: {}  # size -> constructor keywords
    hub: object = None  # size -> position measured by neighbors/transmit
    inbox: object = None  # size -> position measured by receive
    new_node: type = Agent
    new_links: object = None  # size -> how many vectors add_node makes for one newcomer
    small: int = SMALL
    generations: bool = False  # store Agent.generation as DiscreteGenerational would


def delayed_chain_wiring(size):
    for position in range(1, size):
        yield (0, position) if position <= 10 else (position - 1, position)


def scale_free_wiring(size):
    core = [(0, 1), (0, 2), (1, 2)]
    later = [(0, position) for position in range(3, size)] + [(position - 1, position) for position in range(4, size)]
    for origin, destination in core + later:
        yield origin, destination
        yield destination, origin


SHAPES = {
    "chain": Shape(
        Chain,
        wire=lambda size: ((position - 1, position) for position in range(1, size)),
        sources=(0,),
        hub=lambda size: size // 2,
        inbox=lambda size: size - 1,
        new_links=lambda size: 1,
    ),
    # A complete graph of 1,000 nodes is a million vectors; the hub (node 1) is wired to
    # every other node, which is all its own queries can see. add_node wires the newcomer
    # to all 1,000 nodes whatever the other vectors are.
    "fully-connected": Shape(
        FullyConnected,
        wire=lambda size: [(0, p) for p in range(1, size)]
        + [(1, p) for p in range(2, size)]
        + [(p, 1) for p in range(2, size)],
        sources=(0,),
        hub=lambda size: 1,
        inbox=lambda size: 1,
        new_links=lambda size: 1 + 2 * (size - 1),
    ),
    "star": Shape(
        Star,
        wire=lambda size: [(0, p) for p in range(1, size)] + [(p, 0) for p in range(1, size)],
        hub=lambda size: 0,
        inbox=lambda size: 0,
        new_links=lambda size: 2,
    ),
    "burst": Shape(
        Burst,
        wire=lambda size: [(0, p) for p in range(1, size)],
        sources=(0,),
        hub=lambda size: 0,
        inbox=lambda size: size - 1,
        new_links=lambda size: 1,
    ),
    "microsociety": Shape(
        SequentialMicrosociety,
        wire=lambda size: [(p - 1, p) for p in range(1, size)] + [(p - 2, p) for p in range(2, size)],
        params=lambda size: {"n": 3},
        hub=lambda size: size - 3,
        inbox=lambda size: size - 1,
        new_links=lambda size: 2,
    ),
    # Past 11 nodes the chain proper has started; the source is the early nodes' hub.
    "delayed-chain": Shape(
        DelayedChain,
        wire=delayed_chain_wiring,
        sources=(0,),
        hub=lambda size: 0,
        inbox=lambda size: size - 1,
        small=15,
        new_links=lambda size: 1,
    ),
    "scale-free": Shape(
        ScaleFree,
        wire=scale_free_wiring,
        params=lambda size: {"m0": 3, "m": 2},
        hub=lambda size: 0,
        inbox=lambda size: 0,
        new_links=lambda size: 4,
    ),
    # A Source joining an Empty network is connected to every node already there.
    "empty": Shape(Empty, wire=lambda size: (), new_node=RandomBinaryStringSource, new_links=lambda size: size),
    # Two full generations; the newcomer opens the third and draws a parent from the second.
    "discrete-generational": Shape(
        DiscreteGenerational,
        wire=lambda size: [(p % (size // 2), p) for p in range(size // 2, size)],
        params=lambda size: {"generations": 3, "generation_size": size // 2, "initial_source": False},
        generations=True,
        new_links=lambda size: 1,
    ),
}


@dataclass
class Built:
    """A network built in bulk and its nodes, oldest first."""

    network: object
    nodes: list


def build(shape, size) -> Built:
    """Create a network of `size` nodes wired by `shape`, in a handful of bulk queries.

    Every node gets one info, and every vector into the inbox carries a pending
    transmission of its origin's info.
    """
    network = shape.network_class(**shape.params(size))
    network.save()
    nodes = []
    for position in range(size):
        node_class = RandomBinaryStringSource if position in shape.sources else Agent
        node = node_class(network=network)
        if shape.generations:
            node.generation = position // network.generation_size
        nodes.append(node)
    Node.objects.bulk_create(nodes)
    vectors = Vector.objects.bulk_create(
        Vector(origin=nodes[origin], destination=nodes[destination], network=network)
        for origin, destination in shape.wire(size)
    )
    infos = Info.objects.bulk_create(Info(origin=node, network=network, contents="x") for node in nodes)
    if shape.inbox is not None:
        info_of = {info.origin_id: info for info in infos}
        inbox = nodes[shape.inbox(size)]
        Transmission.objects.bulk_create(
            Transmission.build(vector, info_of[vector.origin_id])
            for vector in vectors
            if vector.destination_id == inbox.pk
        )
    network.calculate_full()
    return Built(network, nodes)


def counted(operation, *args, **kwargs):
    """Run `operation` and return (number of queries it ran, its result)."""
    with CaptureQueriesContext(connection) as captured:
        result = operation(*args, **kwargs)
    return len(captured.captured_queries), result


def measure(shape, size) -> dict:
    """Build a network of `size` nodes, run each operation once and count its queries.

    Each operation also checks that it did its work on this network.
    """
    built = build(shape, size)
    wired = set(shape.wire(size))
    position = {node.pk: index for index, node in enumerate(built.nodes)}
    counts = {}

    if shape.hub is not None:
        hub_position = shape.hub(size)
        hub = built.nodes[hub_position]
        outgoing = {d for o, d in wired if o == hub_position}
        incoming = {o for o, d in wired if d == hub_position}
        expected = {"to": outgoing, "from": incoming, "either": outgoing | incoming, "both": outgoing & incoming}
        for direction, neighbours in expected.items():
            counts[f"neighbors({direction})"], found = counted(hub.neighbors, direction=direction)
            assert {position[node.pk] for node in found} == neighbours

        counts["transmit"], sent = counted(hub.transmit)
        assert len(sent) == len(outgoing) > 0

    if shape.inbox is not None:
        inbox = built.nodes[shape.inbox(size)]
        pending = Transmission.objects.filter(destination=inbox, status="pending").count()
        counts["receive"], received = counted(inbox.receive)
        assert len(received) == pending > 0
        assert not Transmission.objects.filter(destination=inbox, status="pending").exists()

    newcomer = shape.new_node(network=built.network)
    counts["save new node"], _ = counted(newcomer.save)
    links_before = Vector.objects.filter(network=built.network).count()
    counts["add_node"], _ = counted(built.network.add_node, newcomer)
    assert Vector.objects.filter(network=built.network).count() - links_before == shape.new_links(size)
    return counts


# On SQLite, bulk inserts are split into batches under its limit of bound variables.
@pytest.mark.postgres
@pytest.mark.parametrize("name", SHAPES)
def test_query_counts_do_not_grow_with_the_network(name):
    shape = SHAPES[name]

    small = measure(shape, shape.small)
    big = measure(shape, BIG)

    assert big == small
