"""An experiment's own classes, defined outside the installed apps and needing no migration.

`Ring` is the custom network of Dallinger's "Creating a network" documentation and
`StorySource` a source in the style of its `WarOfTheGhostsSource`; both use Dallinger's
`__mapper_args__` spelling of the polymorphic identity.
"""

from operator import attrgetter

from core.models import Network
from core.nodes import Source

STORY = "One night two young men from Egulac went down to the river to hunt seals."


class RingRuleError(Exception):
    """A Source was added to a Ring, which cannot contain one."""


class Ring(Network):
    """A chain whose last node, once the network reaches `max_size`, links back to the first."""

    __mapper_args__ = {"polymorphic_identity": "ring"}

    def add_node(self, node):
        """Connect the newest earlier node to `node`; close the ring when the network is complete."""
        other_nodes = [n for n in self.nodes() if n.id != node.id]

        if isinstance(node, Source):
            raise RingRuleError("Ring network cannot contain sources.")

        if other_nodes:
            parent = max(other_nodes, key=attrgetter("creation_time", "id"))
            parent.connect(whom=node)

            if len(self.nodes()) == self.max_size:
                first = min(other_nodes, key=attrgetter("creation_time", "id"))
                node.connect(whom=first)


class StorySource(Source):
    """A source whose every info holds the same story."""

    __mapper_args__ = {"polymorphic_identity": "story_source"}

    def _contents(self):
        return STORY


class TunedRing(Ring):
    """A Ring with custom properties set the way the documentation shows, without calling super()."""

    __mapper_args__ = {"polymorphic_identity": "tuned_ring"}

    def __init__(self, new_property1, new_property2):
        self.property1 = repr(new_property1)
        self.property2 = repr(new_property2)
