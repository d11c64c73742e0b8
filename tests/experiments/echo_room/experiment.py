"""An experiment that answers every message on its channel from a background task: its bots
wait for the answer, so a run finishes only if the experiment's tasks run while bots do."""

from core.networks import Empty
from experiments.experiment import Experiment


class EchoRoom(Experiment):
    """Each participant gets a node; messages on channel `echo` are answered by the server."""

    channel = "echo"

    def __init__(self, session=None):
        super().__init__(session)
        self.experiment_repeats = 1
        self.initial_recruitment_size = 2

    def create_network(self):
        return Empty(max_size=2)

    def receive_message(self, message, channel_name=None, participant=None, node=None, receive_time=None):
        """Answer a participant's `ping` (in the worker: the frame has no `immediate`)."""
        import json

        data = json.loads(message)
        if channel_name == self.channel and data.get("content") == "ping":
            self.publish_to_subscribers(json.dumps({"reply_to": participant.pk if participant else None}))
