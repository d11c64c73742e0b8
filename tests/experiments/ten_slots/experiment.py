"""Four small networks with ten places in all, for the concurrent node-creation tests."""

from core.models import Network
from core.networks import Chain, Empty
from experiments.experiment import Experiment

#: The networks `setup()` creates, in order: (class, max_size). Ten places in all.
NETWORK_SHAPES = [(Empty, 1), (Chain, 2), (Empty, 3), (Chain, 4)]


class TenSlots(Experiment):
    """One experiment network per shape in NETWORK_SHAPES, chosen at random for each participant."""

    def __init__(self, session=None):
        super().__init__(session)
        self.experiment_repeats = len(NETWORK_SHAPES)
        self.initial_recruitment_size = 0

    def create_network(self):
        """The next shape of NETWORK_SHAPES, by how many networks exist already."""
        network_class, max_size = NETWORK_SHAPES[Network.objects.count() % len(NETWORK_SHAPES)]
        return network_class(max_size=max_size)
