"""Bots for the quorum game: they wait for their group in the waiting room (as every bot does
with group formation), then play."""

import random
import time

from bots.base import HighPerformanceBotBase
from core.realtime import group_channel


class HighPerformanceBot(HighPerformanceBotBase):
    """Waits until the waiting room puts it in a group, picks a number, hears the group's total."""

    #: Seconds the bot waits for its group's total after its move.
    wait_for_total = 60.0

    def participate(self) -> bool:
        node = self.create_node()
        if node is None:
            return True
        channel = group_channel(node["network_id"])
        with self.socket(channel) as game:
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
                heard_on, data = frame
                if heard_on == channel and isinstance(data, dict) and data.get("type") == "round_over":
                    self.log(f"Moved {move}; the group's total is {data.get('total')}.")
                    return True
        self.log(f"Moved {move}; the group's total did not arrive.")
        return True
