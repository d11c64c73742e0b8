"""Bots for the quorum game: they wait for their group on the waiting room's socket, then play."""

import random
import time

from bots.base import BotError, HighPerformanceBotBase

CHANNEL = "quorumgame"


class HighPerformanceBot(HighPerformanceBotBase):
    """Waits until the waiting room puts it in a group, picks a number, hears the group's total."""

    #: Seconds the bot waits for its group's total after its move.
    wait_for_total = 60.0

    def subscribe_to_quorum_channel(self, quorum: dict | None = None) -> None:
        """Wait on the `quorum` socket until the bot's group is formed (or it is released).

        A count reaching the quorum is not enough here: groups form by arrival, so the bot
        waits for the group that names it, or for its snapshot naming its network (if the
        group formed as its socket opened).
        """
        deadline = time.monotonic() + self.quorum_timeout
        with self.socket("quorum") as waiting_room:
            while (remaining := deadline - time.monotonic()) > 0:
                frame = waiting_room.receive(timeout=remaining)
                if frame is None:
                    if waiting_room.closed.is_set():
                        raise BotError("The server closed the waiting room's websocket.")
                    continue
                channel, data = frame
                if not isinstance(data, dict):
                    continue
                if channel == "dallinger_control" and data.get("type") == "snapshot" and data.get("network_id"):
                    return
                if channel == "quorum" and self.participant_id in data.get("participant_ids", ()):
                    if data.get("type") == "released":
                        self.log("Released from the waiting room: going straight to completion.")
                        self.overrecruited = True
                    return
        raise BotError(f"No group was formed within {self.quorum_timeout:g} s.")

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
