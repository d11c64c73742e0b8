"""Bots for Rogers' paradox: asocial bots glimpse the dots (with some noise), social bots copy."""

import random

from bots.base import BotBase, HighPerformanceBotBase

#: How far off a bot's impression of the share of blue dots may be (standard deviation).
PERCEPTION_NOISE = 0.05


def judge(strategy: str, received: list) -> str:
    """The bot's answer, "blue" or "yellow", from what its node received."""
    if strategy == "social":
        hints = [info["contents"] for info in received if info["type"] == "meme"]
        return hints[0] if hints else random.choice(("blue", "yellow"))
    shares = [float(info["contents"]) for info in received if info["type"] == "state"]
    impression = shares[0] + random.gauss(0, PERCEPTION_NOISE)
    return "blue" if impression > 0.5 else "yellow"


class HighPerformanceBot(HighPerformanceBotBase):
    """Takes part over HTTP: a trial in each network until none is left."""

    def participate(self) -> bool:
        while (node := self.create_node()) is not None:
            genes = self.request_json("GET", f"/node/{node['id']}/infos", params={"info_type": "LearningGene"})
            received = self.request_json("GET", f"/node/{node['id']}/received_infos")["infos"]
            answer = judge(genes["infos"][0]["contents"], received)
            self.request_json("POST", f"/info/{node['id']}", data={"contents": answer, "info_type": "Meme"})
        return True


class Bot(BotBase):
    """Takes part in a browser: answers each trial with a random colour once it may."""

    def participate(self) -> bool:
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        try:
            while True:
                button = random.choice(("more-blue", "more-yellow"))
                WebDriverWait(self.driver, 30).until(expected_conditions.any_of(
                    expected_conditions.element_to_be_clickable((By.ID, button)),
                    expected_conditions.url_contains("questionnaire"),
                ))  # fmt: skip
                if "questionnaire" in self.driver.current_url:
                    return True
                self.driver.find_element(By.ID, button).click()
        except WebDriverException as error:
            self.log(f"Could not take part: {error.msg or error}")
            return False
