"""Bots for vox populi: each estimate is the true value blurred by a guesser's error."""

import json
import random

from bots.base import HighPerformanceBotBase

from .estimates import QUESTIONS


def guess(true_value: float, rng: random.Random) -> int:
    """A guess as people make them: right on average, but often well off, within 0 to 100."""
    return round(min(100, max(0, rng.gauss(true_value, 12))))


class HighPerformanceBot(HighPerformanceBotBase):
    """Takes part over HTTP: reads the questions the page shows, then sends one answer sheet."""

    def participate(self) -> bool:
        node = self.create_node()
        if node is None:
            return True
        asked = [question["key"] for question in self.request_json("GET", "/vox_populi/questions")["questions"]]
        truth = {key: value for key, _, value in QUESTIONS}
        rng = random.Random()
        self.answers = {key: guess(truth[key], rng) for key in asked}
        self.request_json(
            "POST", f"/info/{node['id']}", data={"contents": json.dumps(self.answers), "info_type": "Info"}
        )
        return True
