"""An experiment as an unedited port once ran: no network and nobody recruited at launch.

A bot run of it completes at once with nobody having taken part, which must be reported as a
failure, not as a completed experiment.
"""

from dallinger.bots import HighPerformanceBotBase
from dallinger.experiment import Experiment


class NobodyComes(Experiment):
    initial_recruitment_size = 0


class Bot(HighPerformanceBotBase):
    def participate(self):
        self.create_node()
