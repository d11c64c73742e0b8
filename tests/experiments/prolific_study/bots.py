"""The HTTP participant of the paid study: a node, and one Info for the button press."""

from bots.base import HighPerformanceBotBase


class HighPerformanceBot(HighPerformanceBotBase):
    """Gets a node and records the button press."""

    def participate(self) -> bool:
        node = self.create_node()
        if node is None:
            return False
        self.request_json("POST", f"/info/{node['id']}", data={"contents": "pressed", "info_type": "Info"})
        return True
