"""Bots for the chatroom demo: they chat over the websocket, as people do in their browsers."""

import time

from bots.base import BotBase, HighPerformanceBotBase
from core.realtime import group_channel

CHANNEL = "chatroom"


def frame(kind: str, content: str, sender, node_id) -> dict:
    """A chat frame as the demo's page sends it; `immediate` has the server record it at once
    (in the web server) rather than in a task, as the chat's page asks too."""
    return {"type": kind, "content": content, "sender": sender, "node_id": node_id, "immediate": True}


class HighPerformanceBot(HighPerformanceBotBase):
    """Joins the chat, says a few things, answers what others say, leaves, and completes.

    It stays until it has heard from someone else (or `wait_for_others` seconds have passed),
    then at least `linger` seconds more so that others hear its answers, and leaves; at once
    when its group's channel says the chat is over.
    """

    #: Messages of its own the bot sends.
    messages_to_send = 3
    #: Seconds between its own messages.
    pause = 0.5
    #: Seconds it waits for someone else to say something.
    wait_for_others = 30.0
    #: Seconds it stays after hearing from someone, answering.
    linger = 3.0
    #: Most answers it gives, so that bots answering each other do not chat for ever.
    max_answers = 3

    def participate(self) -> bool:
        node = self.create_node()
        if node is None:
            return True
        self.node_id = node["id"]
        self.group = group_channel(node["network_id"])
        self.sent: list[str] = []
        self.heard: list[dict] = []
        self.over = False
        with self.socket([CHANNEL, self.group]) as chat:
            for number in range(1, self.messages_to_send + 1):
                self.say(chat, f"Hello number {number} from participant {self.participant_id}.")
                self.listen(chat, self.pause)
            deadline = time.monotonic() + self.wait_for_others
            while not (self.heard or self.over) and time.monotonic() < deadline and not chat.closed.is_set():
                self.listen(chat, min(1.0, deadline - time.monotonic()))
            self.listen(chat, self.linger)
            left = f"Participant {self.participant_id} has left the chat."
            self.say_until_recorded(chat, frame("log", left, self.participant_id, self.node_id))
        self.log(f"Left the chat having sent {len(self.sent)} messages and heard {len(self.heard)}.")
        return True

    def say_until_recorded(self, chat, payload: dict, attempts: int = 3, seconds: float = 5.0) -> None:
        """Send a frame and wait until the server has recorded it as an info of this bot's
        node, sending it again if it is not there after `seconds` (a frame the server could not
        take is logged there and lost). The server relays a frame before it records it: without
        this the last bot could sign off, and a bot run end, before its goodbye was written."""
        for _ in range(attempts):
            chat.send(CHANNEL, payload)
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                infos = self.request_json("GET", f"/node/{self.node_id}/infos")["infos"]
                if any(info["contents"] == payload["content"] for info in infos):
                    return
                time.sleep(0.1)
            self.log(f"{payload['content']!r} was not recorded within {seconds:g} s.")

    def say(self, chat, text: str) -> None:
        """Send a chat message from this bot's node."""
        chat.send(CHANNEL, frame("message", text, self.participant_id, self.node_id))
        self.sent.append(text)

    def listen(self, chat, seconds: float) -> None:
        """Read the chat for `seconds`, answering others' messages (never an answer to an answer),
        until the chat is over."""
        deadline = time.monotonic() + seconds
        while not self.over and (remaining := deadline - time.monotonic()) > 0:
            frame = chat.receive(timeout=remaining)
            if frame is None:
                return
            channel, data = frame
            if channel == self.group and isinstance(data, dict) and data.get("action") == "finish":
                self.over = True  # everyone else has left: nobody is left to answer
                continue
            if channel != CHANNEL or not isinstance(data, dict) or data.get("type") != "message":
                continue
            if str(data.get("sender")) == str(self.participant_id):
                continue  # the channel echoes our own messages
            self.heard.append(data)
            content = str(data.get("content", ""))
            answers = sum(text.startswith("Answer to") for text in self.sent)
            if not content.startswith("Answer to") and answers < self.max_answers:
                self.say(chat, f'Answer to participant {data.get("sender")}: I read "{content}"')


class Bot(BotBase):
    """Chats in a browser through the demo's page: greets with a little markup, answers what it
    reads on the page, and leaves.

    Its answer quotes the other participant's words as the page shows them, so the record
    shows whether markup in a message was displayed as text.
    """

    greeting = "Hello from a browser, with <b>tags</b> & <i>signs</i>."
    wait_for_others = 30.0

    def participate(self) -> bool:
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        try:
            field = self.wait_for("text", seconds=self.wait_for_others + 30)
            me = self.driver.execute_script("return dallinger.identity.participantId")
            self.mine = f"#messages li[data-sender='{me}']"
            others = f"#messages li:not([data-sender='{me}'])"
            self.say(field, self.greeting)

            def someone_else_spoke(driver):
                return driver.find_elements(By.CSS_SELECTOR, others)

            try:
                heard = WebDriverWait(self.driver, self.wait_for_others).until(someone_else_spoke)[0]
                self.say(self.wait_for("text"), f"Answer: I read {heard.text}")
            except WebDriverException:
                self.log("Nobody else spoke.")
            # Leaving ends the chat for whoever is left alone: stay until the others who came
            # through the waiting room together have all spoken and answered.
            expected = max(int(self.config.get("quorum", 2) if self.config is not None else 2) - 1, 1)

            def everyone_answered(driver):
                lines = driver.find_elements(By.CSS_SELECTOR, others)
                senders = {line.get_attribute("data-sender") for line in lines}
                answered = {line.get_attribute("data-sender") for line in lines if ": Answer: I read " in line.text}
                return len(senders) >= expected and answered >= senders

            try:
                WebDriverWait(self.driver, self.wait_for_others).until(everyone_answered)
            except WebDriverException:
                self.log("Not everyone answered; leaving anyway.")
            self.wait_for("leave").click()
            return True
        except WebDriverException as error:
            self.log(f"Could not chat: {error.msg or error}")
            return False

    def say(self, field, text: str) -> None:
        """Type a message, send it, and wait for the chat to show it back: then the server has
        it (it relays a frame to everyone, the sender included), and leaving the page next
        cannot lose it."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        shown = len(self.driver.find_elements(By.CSS_SELECTOR, self.mine))
        field.clear()
        field.send_keys(text)
        self.wait_for("send").click()
        WebDriverWait(self.driver, 20).until(
            lambda driver: len(driver.find_elements(By.CSS_SELECTOR, self.mine)) > shown
        )
