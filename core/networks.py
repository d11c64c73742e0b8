"""Network types that ship with the platform, each with its rule for wiring a new node.

Identities are Dallinger's own (`chain`, `fully-connected`, `scale-free`, ...) so that data
exported from Dallinger and from this platform name the same classes the same way.
Each `add_node` runs a fixed number of queries, whatever the size of the network.
"""

import random

from django.db.models import Count, Q

from core.fetch import rows_where
from core.models import Network, Node
from core.nodes import Agent, Source


class NetworkRuleError(ValueError):
    """A node cannot be added to a network because of the network's structure rules."""


def _others(network, node):
    """The network's live nodes other than `node`, oldest first."""
    return Node.objects.filter(network=network, failed=False).exclude(pk=node.pk).order_by("creation_time", "id")


def _newest_other(network, node):
    """The network's newest live node other than `node` (`_others(...).last()`, on every
    chain join, in one kept query), or None."""
    where, params = "network_id = %s AND NOT failed", [network.pk]
    if node.pk is not None:
        where, params = f"{where} AND id <> %s", [*params, node.pk]
    newest = rows_where(Node, where, params, newest_first=True, limit=1, using=network._state.db)
    return newest[0] if newest else None


def _weighted_choice(candidates, weights):
    """Pick one candidate with probability proportional to its weight (uniformly if all weights are 0)."""
    if not candidates:
        return None
    weights = [max(weight or 0.0, 0.0) for weight in weights]
    if sum(weights) <= 0:
        return random.choice(candidates)
    return random.choices(candidates, weights=weights, k=1)[0]


class Empty(Network):
    """Isolated nodes with no vectors; a Source added later is connected to every existing node."""

    polymorphic_identity = "empty"

    def add_node(self, node) -> None:
        """Agents stay unconnected; a Source is connected to the nodes already here."""
        if isinstance(node, Source):
            self.add_source(node)

    def add_source(self, source) -> None:
        """Connect `source` to every other live node that is not a Source."""
        others = [other for other in _others(self, source) if not isinstance(other, Source)]
        source.connect(whom=others)


class Chain(Network):
    """Source → node → node → ...: each new node is connected from the newest one before it.

    The source is optional, but must be added first.
    """

    polymorphic_identity = "chain"

    def add_node(self, node) -> None:
        """Connect the newest earlier node to `node`."""
        parent = _newest_other(self, node)
        if isinstance(node, Source) and parent is not None:
            raise NetworkRuleError("Chain network already has nodes, can't add a source.")
        if parent is not None:
            parent.connect(whom=node)


class DelayedChain(Network):
    """A chain that starts late: while the network has at most 11 nodes, new nodes hang off its
    Source (if any); after that, each new node is connected from the newest one before it.

    Meant for long chains recruited on platforms with a minimum batch size.
    """

    polymorphic_identity = "delayed_chain"

    def add_node(self, node) -> None:
        """Connect `node` from its Source(s) early on, from the newest node later."""
        others = _others(self, node)
        if self.size() > 11:
            parents = [others.last()]
        else:
            parents = list(Source.objects.filter(pk__in=others.values("pk")))
        for parent in parents:
            parent.connect(whom=node)


class FullyConnected(Network):
    """Every node connected to every other in both directions; Sources only send."""

    polymorphic_identity = "fully-connected"

    def add_node(self, node) -> None:
        """Connect `node` both ways with every node, except that links with Sources run from the Source."""
        others = list(_others(self, node))
        sources = [other for other in others if isinstance(other, Source)]
        peers = [other for other in others if not isinstance(other, Source)]
        if isinstance(node, Source):
            node.connect(whom=peers)
        else:
            node.connect(whom=sources, direction="from")
            node.connect(whom=peers, direction="both")


class Star(Network):
    """The first node is the centre; every later node is linked with it in both directions.

    The centre cannot be a Source (nothing can send to a Source).
    """

    polymorphic_identity = "star"

    def add_node(self, node) -> None:
        """Link `node` both ways with the centre."""
        centre = _others(self, node).first()
        if centre is not None:
            centre.connect(whom=node, direction="both")


class Burst(Network):
    """The first node is the centre and sends to every later node; the centre may be a Source."""

    polymorphic_identity = "burst"

    def add_node(self, node) -> None:
        """Connect the centre to `node`."""
        centre = _others(self, node).first()
        if centre is not None:
            centre.connect(whom=node)


class DiscreteGenerational(Network):
    """Agents in non-overlapping generations of `generation_size`, for `generations` generations.

    Agents of the first generation are connected from the oldest Source when
    `initial_source` is true (and have no parent otherwise); each later agent gets one
    parent from the previous generation, chosen with probability proportional to its
    fitness (uniformly when no fitness is set). The parent transmits to the new agent.
    """

    polymorphic_identity = "discrete-generational"

    def __init__(self, generations=None, generation_size=None, initial_source=False, **kwargs):
        super().__init__(**kwargs)
        if generations is not None and generation_size is not None:
            self.property1 = repr(int(generations))
            self.property2 = repr(int(generation_size))
            self.property3 = repr(bool(initial_source))
            self.max_size = int(generations) * int(generation_size) + (1 if initial_source else 0)

    @property
    def generations(self) -> int:
        """How many generations the network holds."""
        return int(self.property1)

    @property
    def generation_size(self) -> int:
        """How many agents make one generation."""
        return int(self.property2)

    @property
    def initial_source(self) -> bool:
        """Whether the first generation descends from a Source."""
        return (self.property3 or "").strip().lower() not in ("", "false", "0", "none")

    def add_node(self, node) -> None:
        """Place `node` in the current generation and connect it from its parent.

        Sources belong to no generation and get no parent.
        """
        if isinstance(node, Source):
            return
        agents = list(Agent.objects.filter(network=self, failed=False).order_by("creation_time", "id"))
        generation = (len(agents) - 1) // self.generation_size
        node.generation = generation
        node.save()
        if generation == 0:
            parent = None
            if self.initial_source:
                parent = Source.objects.filter(network=self, failed=False).order_by("creation_time", "id").first()
        else:
            previous = [agent for agent in agents if agent.generation == generation - 1 and agent.pk != node.pk]
            parent = _weighted_choice(previous, [agent.fitness for agent in previous])
        if parent is not None:
            parent.connect(whom=node)
            parent.transmit(to_whom=node)


class ScaleFree(Network):
    """Barabási–Albert preferential attachment.

    The first `m0` nodes are fully connected; each later node links both ways with `m`
    existing nodes, each chosen with probability proportional to its out-degree.
    """

    polymorphic_identity = "scale-free"

    def __init__(self, m0=None, m=None, **kwargs):
        super().__init__(**kwargs)
        if m0 is not None and m is not None:
            self.property1 = repr(int(m0))
            self.property2 = repr(int(m))

    @property
    def m0(self) -> int:
        """Size of the fully connected core."""
        return int(self.property1)

    @property
    def m(self) -> int:
        """How many links each newcomer makes."""
        return int(self.property2)

    def add_node(self, node) -> None:
        """Connect `node` to the core, or to `m` nodes by preferential attachment."""
        others = list(
            _others(self, node).annotate(
                out_degree=Count("all_outgoing_vectors", filter=Q(all_outgoing_vectors__failed=False))
            )
        )
        if len(others) + 1 <= self.m0:
            node.connect(whom=others, direction="both")
            return
        chosen = []
        candidates = list(others)
        for _ in range(self.m):
            pick = _weighted_choice(candidates, [candidate.out_degree for candidate in candidates])
            if pick is None:
                break
            chosen.append(pick)
            candidates.remove(pick)
        node.connect(whom=chosen, direction="both")


class SequentialMicrosociety(Network):
    """A moving window: each new node is connected from the `n - 1` newest nodes before it,
    so that `n` nodes are active at once."""

    polymorphic_identity = "microsociety"

    def __init__(self, n=None, **kwargs):
        super().__init__(**kwargs)
        if n is not None:
            self.property1 = repr(int(n))

    @property
    def n(self) -> int:
        """How many nodes are active at once."""
        return int(self.property1)

    def add_node(self, node) -> None:
        """Connect the `n - 1` newest earlier nodes to `node`."""
        window = max(self.n - 1, 0)
        predecessors = list(_others(self, node).order_by("-creation_time", "-id")[:window]) if window else []
        node.connect(whom=predecessors, direction="from")


class SplitSampleNetwork(Network):
    """A network randomly assigned, at creation, to the exploratory or the confirmatory half of
    an unpaired split-sample design. It adds no connections of its own; combine it with a
    network type that keeps nothing in `property1` (Chain, Star, Burst, FullyConnected,
    Empty) by inheriting from both: `class MyNetwork(SplitSampleNetwork, Chain)`.
    """

    polymorphic_identity = "particle_network"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.property1 is None:
            self.property1 = repr(random.random() < 0.5)

    @property
    def exploratory(self) -> bool:
        """True for networks in the exploratory half of the sample."""
        return self.property1 == "True"

    def add_node(self, node) -> None:
        """Wire `node` as the network type combined with this one does; alone, add no connections."""
        # With `class MyNetwork(SplitSampleNetwork, Chain)` the next add_node is Chain's.
        following = super().add_node
        if following.__func__ is not Network.add_node:
            following(node)
