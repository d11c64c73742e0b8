"""Chat check: a websocket chat written for Dallinger 12, run here as it is.

Participants wait in Dallinger's waiting room until two have come, then talk over a
`ReconnectingWebSocket` on the experiment's channel. The server hears every frame in
`receive_message`: a message becomes an info, saved through `db.session` without an explicit
save, and is transmitted to the neighbours still subscribed; the control channel's
subscribe and unsubscribe events mark the node; when the others have all left, the last one
is told through `db.redis_conn.publish`, the network is marked completed and recruitment
closes.
"""

import json

from dallinger import db, networks
from dallinger.config import get_config
from dallinger.experiment import Experiment
from dallinger.models import Info
from dallinger.nodes import Agent

try:
    from .bots import Bot

    Bot = Bot
except ImportError:
    pass


def extra_parameters():
    config = get_config()
    config.register("network", str)
    config.register("repeats", int)
    config.register("n", int)
    config.register("quorum", int)


class ChatCheck(Experiment):
    """One network of the configured class; everyone talks to everyone in it."""

    channel = "chatcheck"

    def configure(self):
        config = get_config(load=True)
        self.experiment_repeats = config.get("repeats")
        self.network_class = config.get("network")
        self.quorum = config.get("quorum")
        self.max_recruits = config.get("n")
        self.initial_recruitment_size = self.experiment_repeats * self.max_recruits

    def create_network(self):
        return getattr(networks, self.network_class)(max_size=self.initial_recruitment_size)

    def choose_network(self, networks, participant):
        return networks[0]

    def create_node(self, participant, network):
        return Agent(network=network, participant=participant)

    def is_overrecruited(self, waiting_count):
        existing = self.networks(full=False)
        if existing and existing[0].details.get("completed", False):
            return True
        return waiting_count > self.max_recruits

    def receive_message(self, message, channel_name=None, participant=None, node=None, receive_time=None):
        payload = json.loads(message)
        if participant and not node:
            nodes = participant.nodes()
            if nodes:
                node = nodes[-1]
        listening = []
        if node:
            listening = [other for other in node.neighbors() if other.details.get("subscribed", True)]

        if channel_name == "dallinger_control":
            self.note_subscription(node, payload, listening)
        elif channel_name == self.channel and node and payload.get("type") == "message":
            info = Info(origin=node, contents=payload.get("content", ""), details=payload)
            if receive_time:
                info.creation_time = receive_time
            if listening:
                node.transmit(what=info, to_whom=listening)
        db.session.commit()

    def note_subscription(self, node, payload, listening):
        """Mark the node (un)subscribed; tell the last one left that the chat is over."""
        if not node or payload.get("type") != "channel" or payload.get("channel") != self.channel:
            return
        details = dict(node.details or {})
        details["subscribed"] = payload.get("event", "subscribed") == "subscribed"
        node.details = details
        db.session.add(node)
        if payload.get("event") == "unsubscribed" and len(listening) <= 1:
            db.redis_conn.publish(
                self.channel,
                json.dumps({"type": "log", "action": "finish", "content": "Everyone else has left: the chat is over."}),
            )
            network_details = dict(node.network.details)
            network_details["completed"] = True
            node.network.details = network_details
            db.session.add(node.network)
            self.recruiter.close_recruitment()
