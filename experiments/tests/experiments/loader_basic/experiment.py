"""A test experiment package: a relative import, keys of its own, set-up when built with a session."""

from experiments.config import get_config
from experiments.experiment import Experiment

from . import models


def extra_parameters():
    """Register the keys config.txt sets."""
    config = get_config()
    config.register("loader_colour", str)
    config.register("loader_rounds", int)


class LoaderBasic(Experiment):
    """Two Empty networks, each with a story source, created the first time it is built with a session."""

    def __init__(self, session=None):
        super().__init__(session)
        self.models = models
        self.experiment_repeats = 2
        if session:
            self.setup()

    def configure(self):
        super().configure()
        self.rounds = get_config().get("loader_rounds")

    def setup(self):
        if not self.networks():
            super().setup()
            for network in self.networks():
                self.models.LoaderStorySource(network=network).save()
