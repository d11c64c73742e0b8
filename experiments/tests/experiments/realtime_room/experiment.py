"""A test experiment with a websocket channel that writes down every message it receives."""

import json

from core.models import Notification
from experiments.config import get_config
from experiments.experiment import Experiment

MESSAGE_EVENT = "websocket_message"


def extra_parameters():
    """The quorum the tests set."""
    get_config().register("room_quorum", int, [], False)


class RealtimeRoom(Experiment):
    """Listens on channel `room`; each message becomes a Notification row."""

    channel = "room"

    def configure(self):
        super().configure()
        self.quorum = self.config.get("room_quorum", 0)

    def receive_message(self, message, channel_name=None, participant=None, node=None, receive_time=None):
        """Write the message down; a `count` below `until` is answered on the channel with the next."""
        Notification(
            assignment_id="",
            event_type=MESSAGE_EVENT,
            details={
                "message": message,
                "channel_name": channel_name,
                "participant": participant and participant.pk,
                "node": node and node.pk,
                "received": receive_time is not None,
            },
        ).save()
        data = json.loads(message) if message.startswith("{") else {}
        if channel_name == self.channel and data.get("type") == "count" and data["n"] < data["until"]:
            self.publish_to_subscribers({**data, "n": data["n"] + 1})
