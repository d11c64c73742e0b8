"""The story source at the head of each benchmark chain."""

import random
from pathlib import Path

from core.nodes import Source

# The Bartlett1932 demo's stories: the benchmark sends the same texts.
STIMULI = Path(__file__).resolve().parents[3] / "experiments" / "demos" / "bartlett1932" / "static" / "stimuli"


class BenchmarkStorySource(Source):
    """Sends one of the Bartlett1932 stories, chosen at random."""

    def _contents(self):
        stories = sorted(STIMULI.glob("*.md"))
        return random.choice(stories).read_text(encoding="utf-8").strip()
