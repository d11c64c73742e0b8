"""Property-based checks: as nodes arrive, every network type keeps its wiring rule and `full` flag.

Each example draws a network (with random parameters and `max_size`) and a sequence of
node additions, then adds the nodes the way the experiment does (create and save the
node, then `network.add_node(node)`), stopping once the network is full. After every
addition the whole vector set is checked against the type's documented rule.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.models import Network, Transmission, Vector
from core.networks import (
    Burst,
    Chain,
    DelayedChain,
    DiscreteGenerational,
    Empty,
    FullyConnected,
    ScaleFree,
    SequentialMicrosociety,
    SplitSampleNetwork,
    Star,
)
from core.nodes import Agent, RandomBinaryStringSource, Source

pytestmark = pytest.mark.django_db

# Every example shares the test's transaction; each works in a network of its own.
examples = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

AGENT, SOURCE = "agent", "source"

max_sizes = st.integers(min_value=1, max_value=7)


def kinds_anywhere(max_size):
    """Agents and sources in any order, sometimes more than fit."""
    return st.lists(st.sampled_from([AGENT, SOURCE]), min_size=1, max_size=max_size + 2)


def agents_only(max_size):
    return st.integers(min_value=1, max_value=max_size + 2).map(lambda count: [AGENT] * count)


def source_first_maybe(max_size):
    """An optional source in first place, then agents only."""
    return st.tuples(st.booleans(), agents_only(max_size)).map(
        lambda drawn: ([SOURCE] if drawn[0] else []) + drawn[1]
    )


def grow(network, kinds, check):
    """Add nodes of `kinds` while the network is not full, checking `check` and `full` after each.

    Returns the nodes added.
    """
    nodes = []
    for kind in kinds:
        if network.full:
            break
        node = (RandomBinaryStringSource if kind == SOURCE else Agent)(network=network)
        node.save()
        network.add_node(node)
        nodes.append(node)

        live = len(network.nodes())
        assert live == len(nodes) <= network.max_size
        assert network.full is (live >= network.max_size)
        assert Network.objects.get(pk=network.pk).full is network.full
        check(network, nodes)
    assert network.full is (len(kinds) >= network.max_size)
    return nodes


def wiring(network, nodes) -> set:
    """The live vectors as (origin, destination) positions in `nodes`."""
    position = {node.pk: index for index, node in enumerate(nodes)}
    pairs = Vector.objects.filter(network=network, failed=False).values_list("origin_id", "destination_id")
    return {(position[origin], position[destination]) for origin, destination in pairs}


def is_source(nodes) -> list:
    return [isinstance(node, Source) for node in nodes]


def expect(rule):
    """A `check` asserting that the wiring equals `rule(sources, size)` (a set of position pairs)."""

    def check(network, nodes):
        assert wiring(network, nodes) == rule(is_source(nodes), len(nodes))

    return check


# Deterministic types: the whole vector set is fixed by the order of arrival. --------------


@examples
@given(data=st.data(), max_size=max_sizes)
def test_empty_connects_each_source_to_the_non_sources_before_it(data, max_size):
    network = Empty(max_size=max_size)
    network.save()
    kinds = data.draw(kinds_anywhere(max_size))

    grow(
        network,
        kinds,
        expect(lambda src, n: {(i, j) for i in range(n) for j in range(i) if src[i] and not src[j]}),
    )


@examples
@given(data=st.data(), max_size=max_sizes)
def test_chain_links_each_node_from_the_one_before(data, max_size):
    network = Chain(max_size=max_size)
    network.save()

    grow(network, data.draw(source_first_maybe(max_size)), expect(lambda src, n: {(i - 1, i) for i in range(1, n)}))


def delayed_chain_rule(src, n):
    pairs = set()
    for j in range(n):
        if j + 1 > 11:
            pairs.add((j - 1, j))
        else:
            pairs |= {(i, j) for i in range(j) if src[i]}
    return pairs


@examples
@given(
    max_size=st.integers(min_value=1, max_value=15),
    agents=st.integers(min_value=1, max_value=17),
    source_at=st.none() | st.integers(min_value=0, max_value=10),
)
def test_delayed_chain_hangs_early_nodes_off_the_source_then_chains(max_size, agents, source_at):
    network = DelayedChain(max_size=max_size)
    network.save()
    kinds = [AGENT] * agents
    if source_at is not None:
        kinds.insert(min(source_at, len(kinds)), SOURCE)

    grow(network, kinds, expect(delayed_chain_rule))


@examples
@given(data=st.data(), max_size=max_sizes)
def test_fully_connected_links_everything_except_into_sources(data, max_size):
    network = FullyConnected(max_size=max_size)
    network.save()

    grow(
        network,
        data.draw(kinds_anywhere(max_size)),
        expect(lambda src, n: {(i, j) for i in range(n) for j in range(n) if i != j and not src[j]}),
    )


@examples
@given(data=st.data(), max_size=max_sizes)
def test_star_links_every_node_both_ways_with_the_first(data, max_size):
    network = Star(max_size=max_size)
    network.save()

    grow(
        network,
        data.draw(agents_only(max_size)),
        expect(lambda src, n: {(0, j) for j in range(1, n)} | {(j, 0) for j in range(1, n)}),
    )


@examples
@given(data=st.data(), max_size=max_sizes)
def test_burst_links_the_first_node_to_every_other(data, max_size):
    network = Burst(max_size=max_size)
    network.save()

    grow(network, data.draw(source_first_maybe(max_size)), expect(lambda src, n: {(0, j) for j in range(1, n)}))


@examples
@given(data=st.data(), max_size=max_sizes, window=st.integers(min_value=1, max_value=4))
def test_sequential_microsociety_links_from_the_newest_n_minus_one(data, max_size, window):
    network = SequentialMicrosociety(n=window, max_size=max_size)
    network.save()

    grow(
        network,
        data.draw(source_first_maybe(max_size)),
        expect(lambda src, n: {(i, j) for j in range(n) for i in range(max(0, j - window + 1), j)}),
    )


@examples
@given(data=st.data(), max_size=max_sizes, seed=st.random_module())
def test_split_sample_adds_no_links_and_keeps_its_half(data, max_size, seed):
    network = SplitSampleNetwork(max_size=max_size)
    network.save()
    exploratory = network.exploratory

    grow(network, data.draw(kinds_anywhere(max_size)), expect(lambda src, n: set()))

    assert Network.objects.get(pk=network.pk).exploratory is exploratory


# Random types: the rule constrains the wiring without fixing it. ------------------------------


@examples
@given(
    data=st.data(),
    max_size=st.integers(min_value=1, max_value=9),
    m0=st.integers(min_value=1, max_value=4),
    m=st.integers(min_value=1, max_value=3),
    seed=st.random_module(),
)
def test_scale_free_core_is_complete_and_newcomers_make_m_links(data, max_size, m0, m, seed):
    network = ScaleFree(m0=m0, m=m, max_size=max_size)
    network.save()

    def check(network, nodes):
        pairs = wiring(network, nodes)
        assert all((j, i) in pairs for i, j in pairs)
        for j in range(len(nodes)):
            earlier_partners = {i for i, k in pairs if k == j and i < j}
            assert len(earlier_partners) == (j if j < m0 else min(m, j))

    grow(network, data.draw(agents_only(max_size)), check)


@examples
@given(
    generations=st.integers(min_value=1, max_value=3),
    generation_size=st.integers(min_value=1, max_value=3),
    initial_source=st.booleans(),
    fitnesses=st.lists(st.sampled_from([None, 0.0, 0.5, 2.0]), min_size=1, max_size=11),
    seed=st.random_module(),
)
def test_discrete_generational_parents_come_from_the_previous_generation(
    generations, generation_size, initial_source, fitnesses, seed
):
    network = DiscreteGenerational(
        generations=generations, generation_size=generation_size, initial_source=initial_source
    )
    network.save()
    source = None
    if initial_source:
        source = RandomBinaryStringSource(network=network)
        source.save()
        network.add_node(source)
    agents = []

    for fitness in fitnesses:
        if network.full:
            break
        agent = Agent(network=network, property1=None if fitness is None else repr(fitness))
        agent.save()
        network.add_node(agent)
        agents.append(agent)

        live = len(network.nodes())
        assert live <= network.max_size
        assert Network.objects.get(pk=network.pk).full is network.full is (live >= network.max_size)
        stored = {a.pk: a for a in Agent.objects.filter(network=network)}
        parents = dict(Vector.objects.filter(network=network).values_list("destination_id", "origin_id"))
        assert Vector.objects.filter(network=network).count() == len(parents)
        for index, each in enumerate(agents):
            generation = index // generation_size
            assert stored[each.pk].generation == generation
            if generation == 0:
                assert parents.get(each.pk) == (source.pk if source else None)
                continue
            parent = stored[parents[each.pk]]
            assert parent.generation == generation - 1
            previous_fitnesses = [a.fitness or 0 for a in stored.values() if a.generation == generation - 1]
            if max(previous_fitnesses) > 0:
                assert parent.fitness > 0
        if source:
            assert Transmission.objects.filter(origin=source).count() == min(len(agents), generation_size)

    assert network.full is (len(fitnesses) >= generations * generation_size)
