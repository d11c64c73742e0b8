"""Function learning along a transmission chain.

Each participant learns how the length of one bar maps to the length of another from
(x, y) pairs, with feedback, then reproduces y for new and old x values without it. Their
answers are the pairs the next participant learns from, so over the chain the function
drifts towards what people expect (typically a straight line).
"""

from core.networks import Chain
from experiments.config import get_config
from experiments.experiment import Experiment

from . import models


def extra_parameters():
    """Register this experiment's own configuration keys."""
    config = get_config()
    config.register("num_participants", int, [], False)
    config.register("function", str, [], False)


class FunctionLearning(Experiment):
    """One chain of `num_participants` learners after a source of the configured function."""

    def __init__(self, session=None):
        super().__init__(session)
        self.models = models
        self.experiment_repeats = 1
        self.initial_recruitment_size = 1
        if session:
            self.setup()

    def configure(self):
        """Read the chain length and the function from the configuration."""
        super().configure()
        self.num_participants = self.config.get("num_participants", 3)
        self.function = self.config.get("function", "sinusoidal")

    def setup(self):
        """Create the chain once, with the function source at its head."""
        if not self.networks():
            super().setup()
            for network in self.networks():
                source = models.FunctionSource(network=network)
                source.function_name = self.function
                source.save()

    def create_network(self):
        """One chain: the source, then one node per participant."""
        return Chain(max_size=self.num_participants + 1)

    def add_node_to_network(self, node, network):
        """Attach the new node to the chain and hand it the pairs to learn from."""
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
