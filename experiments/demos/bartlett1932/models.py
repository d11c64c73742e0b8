"""The story source at the head of each chain."""

import random
from pathlib import Path

from core.nodes import Source

STIMULI = Path(__file__).resolve().parent / "static" / "stimuli"


class WarOfTheGhostsSource(Source):
    """Sends one of the original stories, chosen at random."""

    __mapper_args__ = {"polymorphic_identity": "war_of_the_ghosts_source"}

    def _contents(self):
        stories = sorted(STIMULI.glob("*.md"))
        return random.choice(stories).read_text(encoding="utf-8").strip()
