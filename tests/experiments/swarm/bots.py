"""The swarm's HTTP bot: a node, two infos, a tracking event, then the questionnaire."""

import json

from bots.base import HighPerformanceBotBase


class HighPerformanceBot(HighPerformanceBotBase):
    """Writes through several routes, so bots at once contend for the database."""

    def participate(self) -> bool:
        node = self.create_node()
        if node is None:
            return True
        for number in range(2):
            self.request_json("POST", f"/info/{node['id']}", data={"contents": f"retelling {number}"})
        self.request_json("POST", f"/tracking_event/{node['id']}", data={"details": json.dumps({"event": "read"})})
        self.request_json("GET", f"/node/{node['id']}/infos")
        return True
