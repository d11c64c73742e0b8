"""An experiment whose templates and static files try to replace the platform's."""

from experiments.experiment import Experiment


class AssetsOverrides(Experiment):
    """No behaviour of its own: only its templates/ and static/ folders matter."""
