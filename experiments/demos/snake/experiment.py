"""Snake: steer a growing snake to the food without hitting a wall or itself.

Each participant plays one game alone. The page records the game as one info of their node:
the seed that placed the food, every turn with its tick, how many ticks it lasted, how it
ended and the score. A participant's data pass the check only if replaying that record by
the rules (`game.py`) gives the score recorded.
"""

import json

from core.networks import Empty
from experiments.config import get_config
from experiments.experiment import Experiment

from . import game


def extra_parameters():
    """Register this experiment's own configuration key."""
    get_config().register("num_participants", int, [], False)


class SnakeGame(Experiment):
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
        """Each player with a place recorded one game, and replaying it gives its score."""
        if not participant.nodes():
            return True
        infos = participant.infos()
        try:
            if len(infos) != 1:
                raise game.InvalidGame(f"{len(infos)} games were recorded, not one.")
            game.replay(json.loads(infos[0].contents))
        except (ValueError, TypeError, AttributeError) as problem:
            self.log(f"Participant {participant.id}'s game is not valid: {problem}")
            return False
        return True
