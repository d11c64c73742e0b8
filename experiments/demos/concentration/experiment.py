"""Concentration: a memory game of sixteen face-down cards, eight pairs, found two cards a turn.

Each participant plays alone. Every turn (the two cards turned over and the faces they
showed) is recorded as an info of their node; the number of turns is the score, fewer
being better. A participant's data pass the check only if their turns make one whole game
by the rules (`game.py`).
"""

import json

from core.networks import Empty
from experiments.config import get_config
from experiments.experiment import Experiment

from . import game


def extra_parameters():
    """Register this experiment's own configuration key."""
    get_config().register("num_participants", int, [], False)


class ConcentrationGame(Experiment):
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
        """Each player with a place recorded one whole game, turn by turn."""
        if not participant.nodes():
            return True
        try:
            game.check_turns([json.loads(info.contents) for info in participant.infos()])
        except ValueError as problem:
            self.log(f"Participant {participant.id}'s game is not valid: {problem}")
            return False
        return True
