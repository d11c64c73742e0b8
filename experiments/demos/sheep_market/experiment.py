"""The sheep market: each participant draws a sheep; the drawings make a gallery.

A drawing is one info of the participant's node, holding the PNG image of the canvas as a
data URL and the pen strokes that made it. `/sheep_market/drawings` lists the drawings
(only images that pass the check) and the page `/gallery` shows them.
"""

import json

from core.models import Info
from core.networks import Empty
from experiments.config import get_config
from experiments.experiment import Experiment, experiment_route

from . import drawing


def extra_parameters():
    """Register this experiment's own configuration key."""
    get_config().register("num_participants", int, [], False)


def _image(info):
    """The checked image of an info, or None when it holds no valid drawing."""
    try:
        return drawing.checked_image(json.loads(info.contents).get("image"))
    except (ValueError, AttributeError):
        return None


class SheepMarket(Experiment):
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
        """An Empty network: each sheep is drawn alone."""
        return Empty(max_size=self.num_participants)

    @experiment_route("/sheep_market/drawings")
    @classmethod
    def drawings(cls, request):
        """Every valid drawing so far, oldest first, as PNG data URLs."""
        images = (_image(info) for info in Info.objects.filter(failed=False).order_by("id"))
        return {"drawings": [image for image in images if image]}

    def data_check(self, participant):
        """Each participant with a place sent one drawing, a PNG of the canvas."""
        if not participant.nodes():
            return True
        infos = participant.infos()
        if len(infos) != 1 or _image(infos[0]) is None:
            self.log(f"Participant {participant.id} did not send one valid drawing.")
            return False
        return True
