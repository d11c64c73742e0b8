"""A small paid study for the Prolific end-to-end tests: each participant presses a button
and earns a bonus that depends on their participant id, so every payout is distinct."""

from core.networks import Empty
from experiments.experiment import Experiment


class PaidStudy(Experiment):
    """One Empty network with a place for each participant; a bonus for everyone."""

    def __init__(self, session=None):
        super().__init__(session)
        self.experiment_repeats = 1
        self.initial_recruitment_size = 4

    def create_network(self):
        return Empty(max_size=6)

    def bonus(self, participant):
        """0.10 more for each participant id: 0.11, 0.12, ..."""
        return round(0.10 + participant.id / 100, 2)

    def bonus_reason(self):
        return "Thank you for pressing the button."
