"""The experiment this server runs, loaded once per process from `DALLINGER_EXPERIMENT`."""

import functools
import inspect
import threading

from django.conf import settings
from django.db import connection, transaction

from core import pending
from core.locks import lock_keys
from core.models import Network
from experiments.config import get_config
from experiments.loader import LoadedExperiment, load_default, load_experiment
from experiments.session import session

# Loading imports the package and rebuilds the process's configuration: two threads doing
# it at once (a web server's first requests, a worker's first tasks, as they run side by
# side) saw each other's half-built configuration ("Unknown configuration key") or module
# table ("dictionary changed size during iteration"). Loads take turns; loaded, it is cached.
_loading = threading.RLock()

# One experiment instance per thread, kept while its networks exist and its class and
# configuration stay the same (see `experiment()`).
_instances = threading.local()


@functools.cache
def _load(name_or_path: str) -> LoadedExperiment:
    return load_experiment(name_or_path) if name_or_path else load_default()


def active() -> LoadedExperiment:
    """The loaded experiment package (the base Experiment when none is configured)."""
    with _loading:
        return _load(settings.DALLINGER_EXPERIMENT)


def reload() -> LoadedExperiment:
    """Forget the loaded experiment and load the configured one again (after a settings change)."""
    with _loading:
        _load.cache_clear()
        return active()


def _first_network_created():
    """When the oldest network was created (None without networks): one indexed lookup that
    tells whether networks exist and whether they are still the ones an instance saw (a
    cleared and set-up-again record has newer ones). Plain SQL: it runs on every request."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN({quote('creation_time')}) FROM {quote(Network._meta.db_table)}")
        return cursor.fetchone()[0]


def forget_instances() -> None:
    """Drop this thread's kept experiment instance (tests start each case with a fresh one)."""
    _instances.cached = None


def construct(experiment_class):
    """An instance of `experiment_class`: `Experiment(session)`, or `Experiment()` for a class whose
    `__init__` takes `no_configure` first (Dallinger 12's, which would read the session as it)."""
    parameters = list(inspect.signature(experiment_class.__init__).parameters.values())[1:]
    if parameters and parameters[0].name == "no_configure":
        return experiment_class()
    return experiment_class(session)


def experiment():
    """The active Experiment, constructed as Dallinger constructs it: `Experiment(session)`.

    Dallinger builds a new instance for every request, and experiments set up their networks
    in `__init__` (`if session: self.setup()`, where `setup` lists every network to see
    whether any exists). Here an instance is kept per thread once its networks exist, and
    built again when the experiment class or the configuration changes or the networks are
    gone; so a request costs one indexed query instead of a construction and a network
    listing. Networks count as gone when the oldest one is not the one the instance saw (the
    record was cleared, perhaps by another process, and set up again). Hooks therefore must
    not rely on attributes set by an earlier request (they could not in Dallinger either:
    each instance saw one request).

    Until some network exists, construction holds a lock, so two first requests cannot
    both create the networks.
    """
    experiment_class = active().experiment_class
    first_network = _first_network_created()
    version = get_config().version
    if first_network is not None:
        kept = _kept(experiment_class, version)
        if kept is not None and kept[0] == first_network:
            return kept[1]
        with pending.saving():
            instance = construct(experiment_class)
        _instances.cached = ((experiment_class, version, first_network), instance)
        return instance
    _instances.cached = None
    with transaction.atomic(), pending.saving():
        lock_keys("experiment-setup")
        return construct(experiment_class)


def experiment_as_configured():
    """The experiment instance for what depends only on its class and configuration (the
    quorum): the one this thread keeps when it was built for the current class and
    configuration, else `experiment()`.

    It skips `experiment()`'s look at the networks, a query that code run after a request's
    commit (publishing the quorum state on every participant's save) would otherwise repeat
    right after the request made it.
    """
    kept = _kept(active().experiment_class, get_config().version)
    return experiment() if kept is None else kept[1]


def _kept(experiment_class, version) -> tuple | None:
    """The instance this thread keeps, if it was built for `experiment_class` and configuration
    `version`, with the first network it saw then: (first network id, instance); else None."""
    cached = getattr(_instances, "cached", None)
    if cached is None:
        return None
    (kept_class, kept_version, first_network), instance = cached
    if kept_class is not experiment_class or kept_version != version:
        return None
    return first_network, instance
