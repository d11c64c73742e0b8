"""Bots for Bartlett (1932): read the story, then retell a shortened version of it."""

from bots.base import BotBase, HighPerformanceBotBase


def retell(story: str) -> str:
    """A bot's retelling: the story without its last sentence (as memory tends to go)."""
    sentences = [sentence.strip() for sentence in story.replace("\n", " ").split(". ") if sentence.strip()]
    kept = sentences[:-1] if len(sentences) > 1 else sentences
    return ". ".join(kept).rstrip(".") + "."


class HighPerformanceBot(HighPerformanceBotBase):
    """Takes part over HTTP: gets a node, reads the story it received, sends a retelling."""

    def participate(self) -> bool:
        node = self.create_node()
        if node is None:
            return True
        infos = self.request_json("GET", f"/node/{node['id']}/received_infos")["infos"]
        if not infos:
            self.log("No story was received.")
            return False
        self.story = infos[0]["contents"]
        self.request_json("POST", f"/info/{node['id']}", data={"contents": retell(self.story), "info_type": "Info"})
        return True


class Bot(BotBase):
    """Takes part through the pages in a browser: reads the story, then types the retelling."""

    def participate(self) -> bool:
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.by import By

        try:
            finished_reading = self.wait_for("finish-reading")
            self.story = self.driver.find_element(By.ID, "story").text
            finished_reading.click()
            self.wait_for("reproduction").send_keys(retell(self.story))
            self.wait_for("submit-response").click()
            return True
        except WebDriverException as error:
            self.log(f"Could not take part: {error.msg or error}")
            return False
