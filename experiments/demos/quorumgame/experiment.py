"""A number game in groups of three, formed by arrival, where a bot takes over a member who leaves.

Participants wait on the waiting room's socket; each three who arrive one after the other get
their own FullyConnected network (group formation by arrival; after a minute two may start
alone). Each member picks a number from 1 to 10, recorded as an Info of their node; the group
hears every move on its own channel and, once all have moved, the total. A member
whose socket is gone for `disconnect_grace_seconds` is replaced by a bot participant that takes
over their node, makes their move if they had not, and finishes.
"""

import random

from core.fetch import by_pk
from core.models import Info, Network, Node, Participant, ParticipantStatus
from core.networks import FullyConnected
from core.nodes import Agent
from core.realtime import group_channel
from experiments.binding import TRUSTED
from experiments.config import get_config
from experiments.experiment import Experiment
from experiments.services.submission import participant_submit


def extra_parameters():
    """Register this experiment's own configuration keys."""
    config = get_config()
    config.register("quorum", int, [], False)
    config.register("n", int, [], False)


class QuorumGame(Experiment):
    """Groups of `quorum` formed by arrival; `n` participants recruited in all."""

    group_min_size = 2
    group_max_wait_seconds = 60
    dropout_policy = "replace_with_bot"

    def configure(self):
        """The group size (the quorum) and how many to recruit."""
        super().configure()
        self.quorum = self.config.get("quorum", 3)
        self.group_size = self.quorum
        self.initial_recruitment_size = self.config.get("n", 6)

    def create_network(self):
        """A FullyConnected network for one group (its size is set when the group forms)."""
        return FullyConnected(max_size=self.group_size)

    def create_node(self, participant, network):
        """An Agent for the participant."""
        node = Agent(network=network, participant=participant)
        node.save()
        return node

    def info_post_request(self, node, info):
        """Tell the group about the move, and the total once everyone has moved."""
        self.publish_to_subscribers(
            {
                "type": "move",
                "network_id": node.network_id,
                "node_id": node.pk,
                "info_id": info.pk,
                "contents": info.contents,
            },
            group_channel(node.network_id),
        )
        self._announce_total(node.network)

    def _announce_total(self, network):
        # Moves counted one at a time: two last moves committing together would otherwise
        # each miss the other's and neither announce the total (PostgreSQL, READ COMMITTED).
        network = by_pk(Network, network.pk, lock="no_key_update")
        members = Node.objects.filter(network=network, failed=False)
        moves = Info.objects.filter(network=network, failed=False)
        moved = set(moves.values_list("origin_id", flat=True))
        if members.count() >= network.max_size and moved >= set(members.values_list("pk", flat=True)):
            total = sum(_number(contents) for contents in moves.values_list("contents", flat=True))
            self.publish_to_subscribers(
                {"type": "round_over", "network_id": network.pk, "total": total}, group_channel(network.pk)
            )

    def realtime_snapshot(self, participant):
        """How many of the group have moved, for a page that reloads mid-game."""
        nodes = participant.nodes()
        if not nodes:
            return {}
        return {"moves": Info.objects.filter(network_id=nodes[0].network_id, failed=False).count()}

    def bot_substitute_started(self, participant, bot, nodes):
        """The substitute makes the move the member had not made yet, then finishes."""
        for node in nodes:
            if not node.infos():
                info = Info(origin=node, contents=str(random.randint(1, 10)))
                info.save()
                self.info_post_request(node=node, info=info)
        participant_submit(experiment=self, participant_id=bot.pk, caller=TRUSTED)

    def is_complete(self):
        """Complete once `n` participants have finished and nobody is still playing."""
        finished = Participant.objects.filter(status=ParticipantStatus.APPROVED).count()
        working = Participant.objects.filter(status=ParticipantStatus.WORKING).exists()
        return finished >= self.initial_recruitment_size and not working


def _number(contents) -> int:
    """A move as a number: what a participant typed that is not one counts as nothing, rather
    than failing every later move of the group."""
    try:
        return int(contents)
    except (TypeError, ValueError):
        return 0
