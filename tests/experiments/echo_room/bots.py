"""A bot that sends `ping` on the experiment's channel and takes part only once answered."""

from bots.base import HighPerformanceBotBase

#: Seconds a bot waits for the server's answer.
ANSWER_WITHIN = 30


class HighPerformanceBot(HighPerformanceBotBase):
    """Waits for the experiment's answer to its ping, then records an Info."""

    def participate(self) -> bool:
        node = self.create_node()
        if node is None:
            return False
        with self.socket("echo") as socket:
            socket.send("echo", {"sender": self.participant_id, "content": "ping"})
            while (frame := socket.receive(timeout=ANSWER_WITHIN)) is not None:
                channel, payload = frame
                if channel == "echo" and isinstance(payload, dict) and payload.get("reply_to") == int(self.participant_id):
                    self.request_json("POST", f"/info/{node['id']}", data={"contents": "answered", "info_type": "Info"})
                    return True
        self.log("The experiment never answered.")
        return False
