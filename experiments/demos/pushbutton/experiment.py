"""Push the button: the smallest complete experiment.

Each participant gets a node in an Empty network, presses one button (which records an
Info), and answers a questionnaire with one question of the experiment's own.
"""

from core.networks import Empty
from experiments.config import get_config
from experiments.experiment import Experiment


def extra_parameters():
    """Register this experiment's own configuration key."""
    get_config().register("num_participants", int, [], False)


class PushButton(Experiment):
    """One Empty network with a place for each participant."""

    def __init__(self, session=None):
        super().__init__(session)
        self.experiment_repeats = 1
        self.initial_recruitment_size = 1
        if session:
            self.setup()

    def configure(self):
        """Read the number of participants from the configuration."""
        super().configure()
        self.num_participants = self.config.get("num_participants", 2)

    def create_network(self):
        """An Empty network: participants do not interact."""
        return Empty(max_size=self.num_participants)

    def recruit(self):
        """One more participant while there is room; then stop recruiting."""
        if self.networks(full=False):
            self.recruiter.recruit(n=1)
        else:
            self.recruiter.close_recruitment()
