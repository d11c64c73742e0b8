"""Bots for the push-button demo."""

from bots.base import BotBase, HighPerformanceBotBase


class HighPerformanceBot(HighPerformanceBotBase):
    """Takes part over HTTP: gets a node and records the button press as an Info."""

    def participate(self) -> bool:
        node = self.create_node()
        if node is None:
            return True
        self.request_json("POST", f"/info/{node['id']}", data={"contents": "Submitted", "info_type": "Info"})
        return True


class Bot(BotBase):
    """Takes part in a browser: presses the button."""

    question_responses = {"satisfaction": 6, "engagement": 5, "difficulty": 2}

    def participate(self) -> bool:
        from selenium.common.exceptions import WebDriverException

        try:
            self.wait_for("push").click()
            return True
        except WebDriverException as error:
            self.log(f"Could not take part: {error.msg or error}")
            return False
