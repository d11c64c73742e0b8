"""An experiment whose layout does not compile, so that every page it would shape fails."""

from experiments.experiment import Experiment


class DallingerBrokenLayout(Experiment):
    """No behaviour of its own: only its broken templates/layout.html matters."""
