"""`dallinger.experiments`: the Experiment base class and, by name, the installed experiments' classes."""

from importlib.metadata import entry_points

from experiments.experiment import Experiment
from experiments.loader import ENTRY_POINT_GROUP

__all__ = ["Experiment"]


def __getattr__(name):
    """The class an installed experiment's entry point (group `dallinger.experiments`) names."""
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name == name:
            return entry_point.load()
    raise AttributeError(name)
