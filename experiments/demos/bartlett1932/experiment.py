"""Bartlett (1932): stories retold along a transmission chain.

Each participant reads the story the previous participant wrote (the first reads one of
the original stories) and retells it from memory. Over the chain, the story drifts
towards what people expect stories to be.
"""

from core.networks import Chain
from experiments.config import get_config
from experiments.experiment import Experiment

from . import models


def extra_parameters():
    """Register this experiment's own configuration key."""
    get_config().register("num_participants", int, [], False)


class Bartlett1932(Experiment):
    """A chain of `num_participants` retellings, starting from a story source."""

    def __init__(self, session=None):
        super().__init__(session)
        self.models = models
        self.experiment_repeats = 1
        self.initial_recruitment_size = 1
        if session:
            self.setup()

    def configure(self):
        """Read the chain length from the configuration."""
        super().configure()
        self.num_participants = self.config.get("num_participants", 3)

    def setup(self):
        """Create the chain once, with the story source at its head."""
        if not self.networks():
            super().setup()
            for network in self.networks():
                self.models.WarOfTheGhostsSource(network=network).save()

    def create_network(self):
        """One chain: the story source, then one node per participant."""
        return Chain(max_size=self.num_participants + 1)

    def add_node_to_network(self, node, network):
        """Attach the new node to the chain and hand it the story to retell."""
        network.add_node(node)
        parents = node.neighbors(direction="from")
        if parents:
            parents[0].transmit()
        node.receive()

    def recruit(self):
        """One more participant while the chain is not full; then stop recruiting."""
        if self.networks_exist(full=False):
            self.recruiter.recruit(n=1)
        else:
            self.recruiter.close_recruitment()
