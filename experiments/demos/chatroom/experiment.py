"""A chatroom over websockets: participants wait for a quorum, then chat in a network.

Each participant gets a node in a FullyConnected network and chats on the experiment channel
`chatroom`. Messages reach the other browsers straight through the channel; the server records
each one as an Info of its sender's node and transmits it to the neighbours still in the chat,
follows who joined and left from the control channel, and tells the network's own group
channel; when everyone else has left it tells the last participant the chat is over and closes
recruitment.
"""

import json
import logging

from core.models import Info
from core.networks import FullyConnected
from core.nodes import Agent
from core.realtime import CONTROL_CHANNEL, group_channel
from experiments.config import get_config
from experiments.experiment import Experiment

logger = logging.getLogger(__name__)

CHANNEL = "chatroom"
FINISH_TEXT = 'All other participants have left the chat. Click "Leave chat" to finish.'
#: How many earlier messages a participant who joins late or reconnects is shown.
HISTORY = 50


def extra_parameters():
    """Register this experiment's own configuration keys."""
    config = get_config()
    config.register("quorum", int, [], False)
    config.register("n", int, [], False)
    config.register("repeats", int, [], False)


class Chatroom(Experiment):
    """Waiting room of `quorum`, then `n` participants per FullyConnected network, `repeats` networks."""

    channel = CHANNEL

    def __init__(self, session=None):
        super().__init__(session)
        if session:
            self.setup()

    def configure(self):
        """Read the quorum, the group size and the number of networks from the configuration."""
        super().configure()
        self.quorum = self.config.get("quorum", 2)
        self.network_size = self.config.get("n", 4) or self.quorum
        self.experiment_repeats = self.config.get("repeats", 1)
        self.initial_recruitment_size = self.experiment_repeats * self.network_size

    def create_network(self):
        """A FullyConnected network with a place for each member of the group."""
        return FullyConnected(max_size=self.network_size)

    def choose_network(self, networks, participant):
        """The first network with room: groups fill one after the other."""
        return networks[0]

    def create_node(self, participant, network):
        """An Agent for the participant."""
        node = Agent(network=network, participant=participant)
        node.save()
        return node

    def is_overrecruited(self, waiting_count):
        """Turned away once the chat has finished, or beyond the places of every group."""
        if not self.quorum:
            return False
        if any(network.details.get("completed") for network in self.networks()):
            return True
        return waiting_count > self.experiment_repeats * self.network_size

    def receive_message(self, message, channel_name=None, participant=None, node=None, receive_time=None):
        """Record a chat frame or a subscription change (runs in a task, once per frame)."""
        try:
            data = json.loads(message)
        except (TypeError, ValueError):
            logger.info("Ignoring a frame on %s that is not JSON.", channel_name)
            return
        if not isinstance(data, dict):
            return
        node = self._sender_node(participant, node)
        if node is None:
            return
        if channel_name == CHANNEL:
            self._record(node, data, receive_time)
        elif channel_name == CONTROL_CHANNEL and data.get("type") == "channel" and data.get("channel") == CHANNEL:
            self._subscription_changed(node, participant, data.get("event"))

    def realtime_snapshot(self, participant):
        """What was said in the participant's chat before their socket opened (its latest
        messages, oldest first), so that someone who joins late or reconnects reads it too."""
        nodes = participant.nodes()
        if not nodes:
            return {}
        said = (
            Info.objects.filter(network_id=nodes[-1].network_id, failed=False, details__type="message")
            .select_related("origin")
            .order_by("-id")[:HISTORY]
        )
        # The sender is the participant whose node said it, never what a frame claimed.
        return {"messages": [{"sender": info.origin.participant_id, "content": info.contents} for info in reversed(said)]}

    def _sender_node(self, participant, node):
        """The node the frame is about: the one named, if it is the sender's; else the sender's last."""
        if node is not None:
            if participant is not None and node.participant_id != participant.pk:
                logger.info("Ignoring a frame naming node %s, which is not participant %s's.", node.pk, participant.pk)
                return None
            return node
        if participant is not None:
            nodes = participant.nodes()
            return nodes[-1] if nodes else None
        return None

    def _record(self, node, data, receive_time):
        """An Info of the sender's node; a chat message also goes to the neighbours still in the chat."""
        contents = data.get("content", "")
        info = Info(origin=node, contents=contents if isinstance(contents, str) else json.dumps(contents), details=data)
        if receive_time is not None:
            info.creation_time = receive_time
        info.save()
        if data.get("type") == "message":
            listening = self._connected_neighbors(node)
            if listening:
                node.transmit(what=info, to_whom=listening)

    def _connected_neighbors(self, node):
        """The node's neighbours whose participants have not left the chat."""
        return [other for other in node.neighbors() if other.details.get("subscribed", True)]

    def _subscription_changed(self, node, participant, event):
        """Follow who is in the chat; tell the last one left that the chat is over."""
        if event not in ("subscribed", "unsubscribed"):
            return
        node.details = {**node.details, "subscribed": event == "subscribed"}
        node.save(update_fields=["details"])
        who = participant.pk if participant is not None else node.participant_id
        verb = "joined" if event == "subscribed" else "left"
        self._announce(node, {"type": "log", "content": f"Participant {who} has {verb} the chat."})
        if event == "unsubscribed" and len(self._connected_neighbors(node)) <= 1:
            self._announce(node, {"type": "log", "action": "finish", "content": FINISH_TEXT})
            network = node.network
            network.details = {**network.details, "completed": True}
            network.save(update_fields=["details"])
            self.recruiter.close_recruitment()

    def _announce(self, node, data):
        """Tell everyone in the node's chat (as JSON text, as Dallinger's experiments publish), on
        its group's channel: another network's chat, on the same experiment channel, must not
        end, and no participant can send a frame that looks like the server's."""
        self.publish_to_subscribers(json.dumps(data), group_channel(node.network_id))
