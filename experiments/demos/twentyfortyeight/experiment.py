"""2048: slide numbered tiles on a 4×4 board, merging equal ones, as far as one can get.

Each participant plays alone. Every position of the game (the opening board, then the board,
score and move after each move) is recorded as a State info of their node; a participant's
recorded game must follow the rules of 2048 (`game.py`) for their data to pass the check.
"""

import json

from core.infos import State
from core.networks import Empty
from experiments.config import get_config
from experiments.experiment import Experiment

from . import game


def extra_parameters():
    """Register this experiment's own configuration key."""
    get_config().register("num_participants", int, [], False)


class TwentyFortyEight(Experiment):
    """One Empty network with a place for each player; all are recruited at once."""

    def __init__(self, session=None):
        super().__init__(session)
        self.experiment_repeats = 1
        if session:
            self.setup()

    def configure(self):
        """Read the number of players from the configuration."""
        super().configure()
        self.num_participants = self.config.get("num_participants", 2)
        self.initial_recruitment_size = self.num_participants

    def create_network(self):
        """An Empty network: players do not interact."""
        return Empty(max_size=self.num_participants)

    def data_check(self, participant):
        """A player's recorded positions must make a game the rules allow (no place, nothing to check)."""
        if not participant.nodes():
            return True
        try:
            states = [json.loads(info.contents) for info in participant.infos(type=State)]
            game.check_game(states)
        except (ValueError, TypeError, KeyError, AttributeError) as problem:
            self.log(f"Participant {participant.id}'s game is not valid: {problem}")
            return False
        return True
