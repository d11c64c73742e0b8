"""Vox populi: many people each estimate the same quantities; the crowd's median is often close.

Each participant answers every question of `estimates.py` (percentages, without looking
anything up); their answer sheet is one info of their node. `/vox_populi/questions` serves
the questions to the page, and `/vox_populi/crowd` the crowd's estimates so far.
"""

import json

from core.models import Info
from core.networks import Empty
from experiments.config import get_config
from experiments.experiment import Experiment, experiment_route

from . import estimates


def extra_parameters():
    """Register this experiment's own configuration key."""
    get_config().register("num_participants", int, [], False)


def _sheet(info):
    try:
        return json.loads(info.contents)
    except ValueError:
        return None


class VoxPopuli(Experiment):
    """One Empty network with a place for each participant; all are recruited at once."""

    def __init__(self, session=None):
        super().__init__(session)
        self.experiment_repeats = 1
        if session:
            self.setup()

    def configure(self):
        """Read the number of participants from the configuration."""
        super().configure()
        self.num_participants = self.config.get("num_participants", 2)
        self.initial_recruitment_size = self.num_participants

    def create_network(self):
        """An Empty network: each estimate is made alone, which is what makes the crowd wise."""
        return Empty(max_size=self.num_participants)

    @experiment_route("/vox_populi/questions")
    @classmethod
    def questions(cls, request):
        """The questions, in the order the page asks them (the answers are not sent)."""
        return {"questions": [{"key": key, "text": text} for key, text, _ in estimates.QUESTIONS]}

    @experiment_route("/vox_populi/crowd")
    @classmethod
    def crowd(cls, request):
        """The median of the answers sent so far, question by question."""
        sheets = [_sheet(info) for info in Info.objects.filter(failed=False)]
        return {"estimates": estimates.crowd_estimates(sheets)}

    def data_check(self, participant):
        """Each participant with a place sent one sheet answering every question."""
        if not participant.nodes():
            return True
        infos = participant.infos()
        try:
            if len(infos) != 1:
                raise estimates.InvalidAnswers(f"{len(infos)} answer sheets were sent, not one.")
            estimates.checked_answers(_sheet(infos[0]))
        except estimates.InvalidAnswers as problem:
            self.log(f"Participant {participant.id}'s answers are not valid: {problem}")
            return False
        return True
