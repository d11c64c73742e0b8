"""A browser bot for the chat check: it says hello until it has heard from someone else (or
the others have left), then leaves the chat and answers the questionnaire."""

import time

from dallinger.bots import BotBase
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

#: Seconds a bot keeps talking before it gives up on hearing anyone.
PATIENCE = 60


class Bot(BotBase):
    """Talks until it hears another participant."""

    def participate(self):
        # The message box is enabled once the participant's node exists.
        WebDriverWait(self.driver, 20).until(EC.element_to_be_clickable((By.ID, "reproduction")))
        me = self.driver.find_element(By.ID, "participant-number").text
        deadline = time.time() + PATIENCE
        said = 0
        box = self.driver.find_element(By.ID, "reproduction")
        # Once at least, then until someone else is heard or the chat is over (the others have
        # left: the box is disabled)
        while box.is_enabled():
            said += 1
            box.send_keys(f"hello number {said}")
            self.driver.find_element(By.ID, "send-message").click()
            time.sleep(0.5)
            if self.heard_from_someone_but(me) or time.time() > deadline:
                break
        self.log(f"leaving the chat, having heard: {self.driver.find_element(By.ID, 'story').text!r}")
        self.driver.find_element(By.ID, "leave-chat").click()
        WebDriverWait(self.driver, 20).until(lambda driver: "/questionnaire" in driver.current_url)

    def heard_from_someone_but(self, me):
        lines = self.driver.find_element(By.ID, "story").text.split("\n")
        return any(line.startswith("Participant ") and not line.startswith(f"Participant {me}:") for line in lines)
