"""The shipped network types: wiring rules, source rules, stored parameters and identities."""

import random

import pytest

from core.models import Network, Node, Transmission, Vector
from core.networks import (
    Burst,
    Chain,
    DelayedChain,
    DiscreteGenerational,
    Empty,
    FullyConnected,
    NetworkRuleError,
    ScaleFree,
    SequentialMicrosociety,
    SplitSampleNetwork,
    Star,
)
from core.nodes import Agent, RandomBinaryStringSource, Source

pytestmark = pytest.mark.django_db


def add(network, node_class=Agent, **fields):
    """Create and save a node in `network`, then let the network wire it, as the experiment does."""
    node = node_class(network=network, **fields)
    node.save()
    network.add_node(node)
    return node


def add_agents(network, count):
    return [add(network) for _ in range(count)]


def links(network) -> set:
    """The network's live vectors as (origin pk, destination pk) pairs."""
    return set(Vector.objects.filter(network=network, failed=False).values_list("origin_id", "destination_id"))


def parents(node) -> list:
    """Pks of the nodes with a live vector into `node`."""
    return list(Vector.objects.filter(destination=node, failed=False).values_list("origin_id", flat=True))


def reloaded(network):
    return Network.objects.get(pk=network.pk)


# Empty ------------------------------------------------------------------------------------


def test_empty_network_leaves_agents_unconnected(make_network):
    network = make_network(Empty)

    add_agents(network, 3)

    assert links(network) == set()


def test_empty_network_connects_a_later_source_to_every_existing_non_source_node(make_network):
    network = make_network(Empty)
    first, second = add_agents(network, 2)

    source = add(network, RandomBinaryStringSource)
    assert links(network) == {(source.pk, first.pk), (source.pk, second.pk)}

    third = add(network)
    assert links(network) == {(source.pk, first.pk), (source.pk, second.pk)}

    other_source = add(network, RandomBinaryStringSource)
    assert links(network) == {
        (source.pk, first.pk),
        (source.pk, second.pk),
        (other_source.pk, first.pk),
        (other_source.pk, second.pk),
        (other_source.pk, third.pk),
    }


def test_empty_add_source_connects_only_live_nodes(make_network):
    network = make_network(Empty)
    alive, dead = add_agents(network, 2)
    dead.fail()
    source = RandomBinaryStringSource(network=network)
    source.save()

    network.add_source(source)

    assert links(network) == {(source.pk, alive.pk)}


# Chain --------------------------------------------------------------------------------------


def test_chain_connects_each_new_node_from_the_newest_before_it(make_network):
    network = make_network(Chain)
    source = add(network, RandomBinaryStringSource)
    first, second, third = add_agents(network, 3)

    assert links(network) == {(source.pk, first.pk), (first.pk, second.pk), (second.pk, third.pk)}
    source.transmit()
    assert [t.destination_id for t in Transmission.objects.filter(origin=source)] == [first.pk]


def test_chain_without_source_leaves_the_first_node_parentless(make_network):
    network = make_network(Chain)
    first, second = add_agents(network, 2)

    assert parents(first) == []
    assert links(network) == {(first.pk, second.pk)}


def test_chain_refuses_a_source_after_any_node(make_network):
    network = make_network(Chain)
    agent = add(network)
    source = RandomBinaryStringSource(network=network)
    source.save()

    with pytest.raises(NetworkRuleError, match="can't add a source"):
        network.add_node(source)

    assert links(network) == set()
    assert parents(agent) == []


def test_chain_skips_failed_nodes_when_choosing_the_parent(make_network):
    network = make_network(Chain)
    first, second = add_agents(network, 2)
    second.fail()

    third = add(network)

    assert links(network) == {(first.pk, third.pk)}


# DelayedChain ------------------------------------------------------------------------------


def test_delayed_chain_hangs_the_first_eleven_nodes_off_the_source_then_chains(make_network):
    network = make_network(DelayedChain)
    source = add(network, RandomBinaryStringSource)
    agents = add_agents(network, 13)

    # Nodes 2-11 (the first ten agents) hang off the source; node 12 on chains from the newest.
    expected = {(source.pk, agent.pk) for agent in agents[:10]}
    expected |= {(older.pk, newer.pk) for older, newer in zip(agents[9:], agents[10:])}
    assert links(network) == expected


def test_delayed_chain_without_source_leaves_the_first_eleven_nodes_parentless(make_network):
    network = make_network(DelayedChain)
    agents = add_agents(network, 13)

    assert links(network) == {(agents[10].pk, agents[11].pk), (agents[11].pk, agents[12].pk)}


# FullyConnected ----------------------------------------------------------------------------


def test_fully_connected_links_every_pair_both_ways(make_network):
    network = make_network(FullyConnected)
    agents = add_agents(network, 4)

    assert links(network) == {(a.pk, b.pk) for a in agents for b in agents if a is not b}


def test_fully_connected_source_added_first_only_sends(make_network):
    network = make_network(FullyConnected)
    source = add(network, RandomBinaryStringSource)
    first, second = add_agents(network, 2)

    assert links(network) == {
        (source.pk, first.pk),
        (source.pk, second.pk),
        (first.pk, second.pk),
        (second.pk, first.pk),
    }


def test_fully_connected_source_added_after_agents_only_sends(make_network):
    network = make_network(FullyConnected)
    first, second = add_agents(network, 2)
    source = add(network, RandomBinaryStringSource)
    third = add(network)

    agents = [first, second, third]
    expected = {(a.pk, b.pk) for a in agents for b in agents if a is not b}
    expected |= {(source.pk, agent.pk) for agent in agents}
    assert links(network) == expected


def test_fully_connected_never_links_two_sources(make_network):
    network = make_network(FullyConnected)
    source = add(network, RandomBinaryStringSource)
    agent = add(network)
    other_source = add(network, RandomBinaryStringSource)

    assert links(network) == {(source.pk, agent.pk), (other_source.pk, agent.pk)}


# Star and Burst -----------------------------------------------------------------------------


def test_star_links_each_new_node_both_ways_with_the_first(make_network):
    network = make_network(Star)
    centre, *leaves = add_agents(network, 4)

    expected = {(centre.pk, leaf.pk) for leaf in leaves} | {(leaf.pk, centre.pk) for leaf in leaves}
    assert links(network) == expected


def test_star_source_centre_cannot_take_both_way_links(make_network):
    network = make_network(Star)
    add(network, RandomBinaryStringSource)
    leaf = Agent(network=network)
    leaf.save()

    with pytest.raises(TypeError, match="it is a Source"):
        network.add_node(leaf)

    assert links(network) == set()


def test_burst_centre_sends_to_every_later_node_one_way(make_network):
    network = make_network(Burst)
    centre, *leaves = add_agents(network, 4)

    assert links(network) == {(centre.pk, leaf.pk) for leaf in leaves}


def test_burst_source_centre_works_and_reaches_every_leaf(make_network):
    network = make_network(Burst)
    source = add(network, RandomBinaryStringSource)
    leaves = add_agents(network, 3)

    assert links(network) == {(source.pk, leaf.pk) for leaf in leaves}
    transmissions = source.transmit()
    assert sorted(t.destination_id for t in transmissions) == sorted(leaf.pk for leaf in leaves)
    assert len({t.info_id for t in transmissions}) == 1
    received = leaves[0].receive()
    assert [t.info.contents for t in received] == [transmissions[0].info.contents]


# DiscreteGenerational -------------------------------------------------------------------------


def test_discrete_generational_stores_its_parameters(make_network):
    network = make_network(DiscreteGenerational, generations=3, generation_size=2, initial_source=True)

    stored = reloaded(network)

    assert type(stored) is DiscreteGenerational
    assert (stored.property1, stored.property2, stored.property3) == ("3", "2", "True")
    assert (stored.generations, stored.generation_size) == (3, 2)
    assert stored.initial_source is True
    assert stored.max_size == 3 * 2 + 1


def test_discrete_generational_without_initial_source_reads_back_false(make_network):
    network = make_network(DiscreteGenerational, generations=2, generation_size=4, initial_source=False)

    stored = reloaded(network)

    # Dallinger once read this back with bool("False"), which is True.
    assert stored.property3 == "False"
    assert stored.initial_source is False
    assert stored.max_size == 2 * 4


def test_discrete_generational_numbers_generations_and_picks_parents_from_the_previous_one(make_network):
    network = make_network(DiscreteGenerational, generations=3, generation_size=2, initial_source=True)
    source = add(network, RandomBinaryStringSource)
    agents = add_agents(network, 6)

    assert [Node.objects.get(pk=agent.pk).generation for agent in agents] == [0, 0, 1, 1, 2, 2]
    for agent in agents[:2]:
        assert parents(agent) == [source.pk]
        [transmission] = Transmission.objects.filter(destination=agent)
        assert (transmission.origin_id, transmission.status) == (source.pk, "pending")
        assert transmission.info.origin_id == source.pk
    for generation in (1, 2):
        previous = {agent.pk for agent in agents[2 * (generation - 1) : 2 * generation]}
        for agent in agents[2 * generation : 2 * generation + 2]:
            [parent] = parents(agent)
            assert parent in previous
    assert len(links(network)) == 6
    assert reloaded(network).full is True


def test_discrete_generational_first_generation_is_parentless_without_initial_source(make_network):
    network = make_network(DiscreteGenerational, generations=2, generation_size=2, initial_source=False)
    first, second, third = add_agents(network, 3)

    assert parents(first) == parents(second) == []
    assert parents(third)[0] in {first.pk, second.pk}
    assert len(links(network)) == 1


def test_discrete_generational_ignores_sources_passed_to_add_node(make_network):
    network = make_network(DiscreteGenerational, generations=2, generation_size=2, initial_source=True)
    source = add(network, RandomBinaryStringSource)
    first = add(network)

    late_source = add(network, RandomBinaryStringSource)
    second = add(network)

    assert links(network) == {(source.pk, first.pk), (source.pk, second.pk)}
    assert [Node.objects.get(pk=agent.pk).generation for agent in (first, second)] == [0, 0]
    assert Node.objects.get(pk=late_source.pk).property2 is None


def test_discrete_generational_never_picks_a_zero_fitness_parent_when_another_is_fit(make_network):
    network = make_network(DiscreteGenerational, generations=2, generation_size=8, initial_source=False)
    first_generation = add_agents(network, 8)
    for agent in first_generation:
        agent.fitness = 0.0
        agent.save()
    fittest = first_generation[3]
    fittest.fitness = 2.5
    fittest.save()

    second_generation = add_agents(network, 8)

    assert [parents(agent) for agent in second_generation] == [[fittest.pk]] * 8


def test_discrete_generational_picks_uniformly_when_no_fitness_is_set(make_network):
    random.seed(20240601)
    network = make_network(DiscreteGenerational, generations=2, generation_size=12, initial_source=False)
    first_generation = add_agents(network, 12)

    second_generation = add_agents(network, 12)

    chosen = [parents(agent)[0] for agent in second_generation]
    assert set(chosen) <= {agent.pk for agent in first_generation}
    assert len(set(chosen)) > 1


# ScaleFree -------------------------------------------------------------------------------------


def test_scale_free_stores_m0_and_m(make_network):
    network = make_network(ScaleFree, m0=3, m=2)

    stored = reloaded(network)

    assert type(stored) is ScaleFree
    assert (stored.property1, stored.property2) == ("3", "2")
    assert (stored.m0, stored.m) == (3, 2)


def test_scale_free_core_is_fully_connected_and_newcomers_make_m_two_way_links(make_network):
    random.seed(7)
    network = make_network(ScaleFree, m0=3, m=2)
    agents = add_agents(network, 8)

    wiring = links(network)
    core = agents[:3]
    assert {(a.pk, b.pk) for a in core for b in core if a is not b} <= wiring
    assert all((destination, origin) in wiring for origin, destination in wiring)
    for position, agent in enumerate(agents[3:], start=3):
        earlier = {other.pk for other in agents[:position]}
        partners = {destination for origin, destination in wiring if origin == agent.pk}
        assert len(partners & earlier) == 2
    assert len(wiring) == 2 * (3 + 2 * 5)


def test_scale_free_never_attaches_to_a_node_without_links_while_others_have_some(make_network):
    random.seed(11)
    network = make_network(ScaleFree, m0=3, m=1)
    add_agents(network, 3)
    isolated = Agent(network=network)
    isolated.save()

    add_agents(network, 6)

    assert Vector.objects.filter(destination=isolated).count() == 0
    assert Vector.objects.filter(origin=isolated).count() == 0


# SequentialMicrosociety -----------------------------------------------------------------------


def test_sequential_microsociety_stores_n(make_network):
    network = make_network(SequentialMicrosociety, n=3)

    stored = reloaded(network)

    assert type(stored) is SequentialMicrosociety
    assert (stored.property1, stored.n) == ("3", 3)


def test_sequential_microsociety_connects_from_the_n_minus_one_newest_nodes(make_network):
    network = make_network(SequentialMicrosociety, n=3)
    a, b, c, d, e = add_agents(network, 5)

    assert links(network) == {
        (a.pk, b.pk),
        (a.pk, c.pk),
        (b.pk, c.pk),
        (b.pk, d.pk),
        (c.pk, d.pk),
        (c.pk, e.pk),
        (d.pk, e.pk),
    }


def test_sequential_microsociety_with_a_source_first(make_network):
    network = make_network(SequentialMicrosociety, n=3)
    source = add(network, RandomBinaryStringSource)
    a, b, c = add_agents(network, 3)

    assert links(network) == {
        (source.pk, a.pk),
        (source.pk, b.pk),
        (a.pk, b.pk),
        (a.pk, c.pk),
        (b.pk, c.pk),
    }


# SplitSampleNetwork ------------------------------------------------------------------------


def test_split_sample_exploratory_is_a_bool_that_survives_reload(make_network, monkeypatch):
    network = make_network(SplitSampleNetwork)
    exploratory = network.exploratory
    assert isinstance(exploratory, bool)
    assert network.property1 == repr(exploratory)

    # Were loading to draw again, this would flip the answer.
    monkeypatch.setattr(random, "random", lambda: 0.9 if exploratory else 0.1)
    stored = reloaded(network)

    assert type(stored) is SplitSampleNetwork
    assert stored.exploratory is exploratory
    assert stored.property1 == repr(exploratory)


def test_split_sample_assigns_both_halves(db):
    random.seed(3)

    assignments = {SplitSampleNetwork().exploratory for _ in range(40)}

    assert assignments == {True, False}


class SplitChain(SplitSampleNetwork, Chain):
    """A split-sample design over chains, split-sample named first."""

    class Meta:
        app_label = "core_tests"


class ChainSplit(Chain, SplitSampleNetwork):
    """The same combination, Chain named first."""

    class Meta:
        app_label = "core_tests"


@pytest.mark.parametrize("network_class", [SplitChain, ChainSplit])
def test_split_sample_combined_with_chain_wires_as_a_chain(make_network, network_class):
    network = make_network(network_class)
    first, second, third = add_agents(network, 3)

    assert links(network) == {(first.pk, second.pk), (second.pk, third.pk)}
    stored = reloaded(network)
    assert type(stored) is network_class
    assert stored.exploratory is network.exploratory


def test_split_sample_adds_no_connections(make_network):
    network = make_network(SplitSampleNetwork)

    add_agents(network, 3)
    add(network, RandomBinaryStringSource)

    assert links(network) == set()


# Identity and fullness ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("network_class", "identity", "fields"),
    [
        (Empty, "empty", {}),
        (Chain, "chain", {}),
        (DelayedChain, "delayed_chain", {}),
        (FullyConnected, "fully-connected", {}),
        (Star, "star", {}),
        (Burst, "burst", {}),
        (DiscreteGenerational, "discrete-generational", {"generations": 2, "generation_size": 2}),
        (ScaleFree, "scale-free", {"m0": 2, "m": 1}),
        (SequentialMicrosociety, "microsociety", {"n": 2}),
        (SplitSampleNetwork, "particle_network", {}),
    ],
)
def test_each_network_type_loads_back_as_its_own_class(make_network, network_class, identity, fields):
    network = make_network(network_class, **fields)

    stored = reloaded(network)

    assert type(stored) is network_class
    assert stored.type == identity
    assert list(network_class.objects.values_list("pk", flat=True)) == [network.pk]
    agent = add(stored)
    assert type(Node.objects.get(pk=agent.pk)) is Agent


def test_sources_load_back_as_their_class(make_network):
    network = make_network(Chain)
    source = add(network, RandomBinaryStringSource)

    assert type(Node.objects.get(pk=source.pk)) is RandomBinaryStringSource
    assert list(Source.objects.filter(network=network)) == [source]


def test_network_is_full_at_max_size_and_reopens_when_a_node_fails(make_network):
    network = make_network(Chain, max_size=2)
    add(network)
    assert reloaded(network).full is False
    last = add(network)
    assert network.full is True
    assert reloaded(network).full is True

    last.fail()

    assert reloaded(network).full is False
