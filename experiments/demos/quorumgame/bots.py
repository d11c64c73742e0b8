"""Bots for the quorum game: they wait for their group in the waiting room (as every bot does
with group formation), then play."""

import random
import time

from bots.base import HighPerformanceBotBase

CHANNEL = "quorumgame"


class HighPerformanceBot(HighPerformanceBotBase):
    """Waits until the waiting room puts it in a group, picks a number, hears the group's total."""

    #: Seconds the bot waits for its group's total after its move.
    wait_for_total = 60.0

    def participate(self) -> bool:
        node = self.create_node()
        if node is None:
            return True
        with self.socket(CHANNEL) as game:
            # The move is made once the socket is open, so the total it leads to cannot be missed.
            move = random.randint(1, 10)
            self.request_json("POST", f"/info/{node['id']}", data={"contents": str(move), "info_type": "Info"})
            deadline = time.monotonic() + self.wait_for_total
            while (remaining := deadline - time.monotonic()) > 0:
                frame = game.receive(timeout=remaining)
                if frame is None:
                    if game.closed.is_set():
                        break
                    continue
                channel, data = frame
                if channel == CHANNEL and isinstance(data, dict) and data.get("type") == "round_over":
                    if data.get("network_id") == node["network_id"]:
                        self.log(f"Moved {move}; the group's total is {data.get('total')}.")
                        return True
        self.log(f"Moved {move}; the group's total did not arrive.")
        return True
