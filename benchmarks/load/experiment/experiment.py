"""Bartlett (1932) for load tests: the demo's flow over many long chains.

A chain serialises node creation: each new node locks its network's row
(`node_create_for_participant`) and hangs off the chain's newest node, so all participants
of one chain queue on one row. A real deployment of a transmission-chain study runs many
chains side by side, and so does this benchmark: `num_chains` chains (default 50), each with
room for `num_participants` participants (a million in config.txt) so that no chain fills
during a run and every participant takes the whole flow. Participants are spread over the
chains at random (the default `choose_network`). Everything else is the Bartlett1932 demo's.
"""

from experiments.config import get_config
from experiments.demos.bartlett1932.experiment import Bartlett1932
from experiments.demos.bartlett1932.experiment import extra_parameters as bartlett1932_parameters


def extra_parameters():
    """Register the demo's chain length and the number of chains."""
    bartlett1932_parameters()
    get_config().register("num_chains", int, [], False)


class LoadBenchmark(Bartlett1932):
    """`num_chains` Bartlett chains instead of one."""

    def setup(self):
        """Create the chains once, each with a story source at its head."""
        # The demo sets one chain in __init__, after configure() and before setup().
        self.experiment_repeats = self.config.get("num_chains", 50)
        super().setup()
