"""The test package's own node class, imported by experiment.py with `from . import models`."""

from core.nodes import Source


class LoaderStorySource(Source):
    """A source of one fixed story."""

    polymorphic_identity = "loader_story_source"

    def _contents(self):
        return "Once upon a time."
