"""Bots for MCMCP: each has an idea of a dog and tends to pick the animal closer to it."""

import json
import math
import random

from bots.base import BotBase, HighPerformanceBotBase

from .models import RANGES

#: The bots' idea of a dog: short legs, a level body, a short neck and a raised tail.
DOG = {
    "foot_spread": 0.5,
    "body_height": 0.6,
    "body_tilt": 0.0,
    "tail_length": 0.5,
    "tail_angle": 45.0,
    "neck_length": 0.6,
    "neck_angle": 135.0,
    "head_length": 0.4,
    "head_angle": 60.0,
}


def distance(animal: dict, prototype: dict = DOG) -> float:
    """How far `animal` is from `prototype`, each measurement scaled by its range."""
    return math.sqrt(
        sum(((animal[name] - prototype[name]) / (high - low)) ** 2 for name, (low, high) in RANGES.items())
    )


def probability_of_first(first: dict, second: dict, sharpness: float = 10.0) -> float:
    """The chance of picking `first` over `second` (Luce's choice rule on similarity to a dog)."""
    first_weight = math.exp(-sharpness * distance(first))
    second_weight = math.exp(-sharpness * distance(second))
    return first_weight / (first_weight + second_weight)


def pick(proposal: dict, current: dict) -> int:
    """The choice as the route takes it: 0 the proposal, 1 the current animal."""
    return 0 if random.random() < probability_of_first(proposal, current) else 1


class HighPerformanceBot(HighPerformanceBotBase):
    """Takes part over HTTP: trial after trial, picks one of its node's two animals."""

    def participate(self) -> bool:
        while (node := self.create_node()) is not None:
            infos = self.request_json("GET", f"/node/{node['id']}/infos", params={"info_type": "AnimalInfo"})["infos"]
            if len(infos) != 2:
                self.log(f"Trial {node['id']} has {len(infos)} animals, not two.")
                return False
            current, proposal = sorted(infos, key=lambda info: info["id"])
            choice = pick(json.loads(proposal["contents"]), json.loads(current["contents"]))
            self.request_json("POST", f"/choice/{node['id']}/{choice}")
        return True


class Bot(BotBase):
    """Takes part in a browser: clicks Left or Right until the trials run out."""

    def participate(self) -> bool:
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        try:
            while True:
                button = random.choice(("left_button", "right_button"))
                clickable_or_done = expected_conditions.any_of(
                    expected_conditions.element_to_be_clickable((By.ID, button)),
                    expected_conditions.url_contains("questionnaire"),
                )
                WebDriverWait(self.driver, 30).until(clickable_or_done)
                if "questionnaire" in self.driver.current_url:
                    return True
                self.driver.find_element(By.ID, button).click()
        except WebDriverException as error:
            self.log(f"Could not take part: {error.msg or error}")
            return False
