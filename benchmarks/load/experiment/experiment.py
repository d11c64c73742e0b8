"""Bartlett (1932) for load tests: the same flow over many long chains.

A chain serialises node creation: each new node locks its network's row
(`node_create_for_participant`) and hangs off the chain's newest node, so all participants
of one chain queue on one row. A real deployment of a transmission-chain study runs many
chains side by side, and so does this benchmark: `num_chains` chains (default 50), each with
room for `num_participants` participants (default a million) so that no chain fills during
a run and every participant takes the whole flow. Participants are spread over the chains at
random (the default `choose_network`).

Like Bartlett1932 (and Dallinger's own demos), the experiment checks for its networks with
`if not self.networks()` when it is constructed (once per server thread, see
`experiments.runtime.experiment`).
"""

from core.networks import Chain
from experiments.config import get_config
from experiments.experiment import Experiment

from . import models


def extra_parameters():
    """Register the chain length and the number of chains."""
    config = get_config()
    config.register("num_participants", int, [], False)
    config.register("num_chains", int, [], False)


class LoadBenchmark(Experiment):
    """`num_chains` Bartlett chains of `num_participants` retellings each, each headed by a story source."""

    def __init__(self, session=None):
        super().__init__(session)
        self.models = models
        self.initial_recruitment_size = 1
        if session:
            self.setup()

    def configure(self):
        """Read the chain count and length from the configuration."""
        super().configure()
        self.num_participants = self.config.get("num_participants", 1_000_000)
        self.experiment_repeats = self.config.get("num_chains", 50)

    def setup(self):
        """Create the chains once, each with a story source at its head."""
        if not self.networks():
            super().setup()
            for network in self.networks():
                self.models.BenchmarkStorySource(network=network).save()

    def create_network(self):
        """One chain: the story source, then one node per participant."""
        return Chain(max_size=self.num_participants + 1)

    def add_node_to_network(self, node, network):
        """Attach the new node to its chain and hand it the story to retell (as Bartlett1932)."""
        network.add_node(node)
        parents = node.neighbors(direction="from")
        if parents:
            parents[0].transmit()
        node.receive()

    def recruit(self):
        """One more participant while a chain has room (as Bartlett1932); then stop recruiting."""
        if self.networks(full=False):
            self.recruiter.recruit(n=1)
        else:
            self.recruiter.close_recruitment()
