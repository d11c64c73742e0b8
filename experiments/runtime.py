"""The experiment this server runs, loaded once per process from `DALLINGER_EXPERIMENT`."""

import functools

from django.conf import settings
from django.db import transaction

from core.models import Network

from experiments.loader import LoadedExperiment, load_default, load_experiment
from core.locks import lock_keys
from experiments.session import session


@functools.cache
def _load(name_or_path: str) -> LoadedExperiment:
    return load_experiment(name_or_path) if name_or_path else load_default()


def active() -> LoadedExperiment:
    """The loaded experiment package (the base Experiment when none is configured)."""
    return _load(settings.DALLINGER_EXPERIMENT)


def reload() -> LoadedExperiment:
    """Forget the loaded experiment and load the configured one again (after a settings change)."""
    _load.cache_clear()
    return active()


def experiment():
    """A new instance of the active Experiment class, as Dallinger builds one per request.

    Dallinger experiments set up their networks in `__init__` (`if session: self.setup()`).
    Until some network exists, construction holds a lock, so two first requests cannot
    both create the networks.
    """
    experiment_class = active().experiment_class
    if Network.objects.exists():
        return experiment_class(session)
    with transaction.atomic():
        lock_keys("experiment-setup")
        return experiment_class(session)
