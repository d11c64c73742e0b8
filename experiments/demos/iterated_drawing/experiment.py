"""Iterated drawing: pictures redrawn from memory along a transmission chain.

Each participant looks at the drawing the previous participant made (the first sees the
source's drawing), then draws it again from memory. Over the chain, the picture drifts
towards what people find easy to remember and draw.
"""

from core.networks import Chain
from experiments.config import get_config
from experiments.experiment import Experiment

from . import models


def extra_parameters():
    """Register this experiment's own configuration key."""
    get_config().register("num_participants", int, [], False)


class IteratedDrawing(Experiment):
    """One chain of `num_participants` drawings after the source's."""

    def __init__(self, session=None):
        super().__init__(session)
        self.models = models
        self.experiment_repeats = 1
        self.initial_recruitment_size = 1
        self.known_classes["Drawing"] = models.Drawing
        if session:
            self.setup()

    def configure(self):
        """Read the chain length from the configuration."""
        super().configure()
        self.num_participants = self.config.get("num_participants", 3)

    def setup(self):
        """Create the chain once, with the drawing source at its head."""
        if not self.networks():
            super().setup()
            for network in self.networks():
                models.DrawingSource(network=network).save()

    def create_network(self):
        """One chain: the source, then one node per participant."""
        return Chain(max_size=self.num_participants + 1)

    def add_node_to_network(self, node, network):
        """Attach the new node to the chain and hand it the drawing before it."""
        network.add_node(node)
        parent = node.neighbors(direction="from")[0]
        parent.transmit()
        node.receive()

    def recruit(self):
        """One more participant while the chain is not full; then stop recruiting."""
        if self.networks(full=False):
            self.recruiter.recruit(n=1)
        else:
            self.recruiter.close_recruitment()
