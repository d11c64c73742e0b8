"""The URL converter of experiments' tab pages: it matches only the tabs the running experiment
declares, so every other address under /dashboard/ reaches the admin's own pages."""

import logging

from dashboard import tabs
from experiments import runtime

logger = logging.getLogger(__name__)


class ExperimentTabConverter:
    """`<tab:name>`: a path segment naming one of the running experiment's dashboard tabs."""

    regex = r"[A-Za-z0-9_-]+"

    def to_python(self, value: str) -> str:
        try:
            method = tabs.experiment_tab_method(runtime.active().experiment_class, value)
        except Exception:
            logger.exception("The experiment could not be loaded to look for its dashboard tab %r.", value)
            method = None
        if method is None:
            # Not a tab: the URL resolver goes on to the next pattern.
            raise ValueError(value)
        return value

    def to_url(self, value: str) -> str:
        return value
