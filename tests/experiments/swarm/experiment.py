"""Many HTTP bots at once in one network, each writing several rows, for the stress tests.

The launch recruits every bot at once (the bots recruiter caps them at `max_bots`), so the
worker runs as many bots at the same time as it has threads; each bot makes a node, infos
and a tracking event, answers the questionnaire and completes. The network has `places`
places; the experiment is complete when it is full and nobody is still working.
"""

from core.networks import Empty
from experiments.config import get_config
from experiments.experiment import Experiment


def extra_parameters():
    """Register the size of the network."""
    get_config().register("places", int, [], False)


class Swarm(Experiment):
    """One Empty network of `places` places, set up by the first request, as Dallinger's are."""

    def __init__(self, session=None):
        super().__init__(session)
        self.experiment_repeats = 1
        # Everyone at once: the bots recruiter sends no more than max_bots.
        self.initial_recruitment_size = 10_000
        if session:
            self.setup()

    def create_network(self):
        """One network with a place for each bot."""
        return Empty(max_size=self.config.get("places", 10))
