"""What happens to a group when one of its members disconnects, and when they come back.

The policy is the experiment's `dropout_policy`; these functions run inside the transaction
that claimed the dropout (experiments/services/presence.py), so each runs once per dropout.
"""

import uuid

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from core import realtime
from core.fetch import by_pk
from core.models import Network, Node, Participant, ParticipantStatus
from experiments.models import GroupSeat
from experiments.services.group_lookups import away_members, networks_of
from experiments.services.replacement import BOTS
from experiments.services.submission import replaced_participant_pay

POLICIES = ("continue", "pause", "replace_with_bot", "end_group")


def dropout_policy_of(experiment) -> str:
    """The experiment's dropout policy, checked."""
    policy = experiment.dropout_policy
    if policy not in POLICIES:
        raise ImproperlyConfigured(f"dropout_policy must be one of {', '.join(POLICIES)}, not {policy!r}.")
    return policy


def participant_dropout(*, experiment, participant) -> None:
    """Apply the experiment's dropout policy to `participant`, declared disconnected."""
    policy = dropout_policy_of(experiment)
    experiment.participant_disconnected(participant)
    networks = networks_of(participant=participant)
    if policy == "continue":
        experiment.fail_participant(participant)
        for network in networks:
            _tell_group(network.pk, _event("member_left", network, participant))
    elif policy == "pause":
        for network in networks:
            _tell_group(network.pk, {**_event("pause", network, participant), "away": away_members(network=network)})
    elif policy == "replace_with_bot":
        bot_substitute(experiment=experiment, participant=participant)
    else:
        for network in networks:
            group_end(experiment=experiment, network=network, reason="participant_disconnected")


def participant_return(*, experiment, participant) -> None:
    """A participant declared disconnected is back: tell the experiment, resume a paused group."""
    experiment.participant_reconnected(participant)
    if dropout_policy_of(experiment) != "pause":
        return
    for network in networks_of(participant=participant):
        if not away_members(network=network):
            _tell_group(network.pk, _event("resume", network, participant))


def bot_substitute(*, experiment, participant) -> Participant | None:
    """A new bot participant takes over `participant`'s live nodes; `participant` is `replaced`,
    and paid as the experiment's `pay_replaced_participants` says.

    The nodes, their infos and links stay as they are; only their owner changes, so the
    group goes on with the same network. None when they had no live node.
    """
    nodes = participant.nodes()
    if not nodes:
        return None
    tag = f"substitute-{participant.pk}-{uuid.uuid4().hex[:8]}"
    bot = Participant(
        recruiter_id=BOTS,
        worker_id=tag,
        assignment_id=tag,
        hit_id=participant.hit_id,
        mode=participant.mode,
        entry_information={"substitute_for": participant.pk},
    )
    bot.save()
    Node.objects.filter(pk__in=[node.pk for node in nodes]).update(participant=bot)
    seat = GroupSeat.objects.filter(participant=participant).first()
    if seat is not None and seat.network_id is not None:
        GroupSeat.objects.create(participant=bot, network_id=seat.network_id)
    participant.status = ParticipantStatus.REPLACED
    participant.end_time = participant.end_time or timezone.now()
    participant.save(update_fields=["status", "end_time"])
    # They took part until they dropped out (they had a place in the group): paid for it, as
    # the members of an ended group are, and before the bot acts on their nodes.
    replaced_participant_pay(experiment=experiment, participant=participant, nodes=nodes)
    for node in nodes:
        node.participant = bot
    experiment.bot_substitute_started(participant, bot, nodes)
    for network_pk in sorted({node.network_id for node in nodes}):
        _tell_group(
            network_pk,
            {
                "type": "replaced",
                "network_id": network_pk,
                "participant_id": participant.pk,
                "bot_participant_id": bot.pk,
                "node_ids": [node.pk for node in nodes if node.network_id == network_pk],
            },
        )
    return bot


def group_end(*, experiment, network, reason: str) -> bool:
    """Close `network` to newcomers and tell its members to finish; False if it had ended.

    Members finish through the normal submission (`/worker_complete`), which pays their base
    once and asks the experiment's `bonus` for the rest: nothing is paid here.
    """
    network = by_pk(Network, network.pk, lock="no_key_update")
    if network is None or network.details.get("group_ended"):
        return False
    network.details = {
        **network.details,
        "group_ended": True,
        "group_end_reason": reason,
        "max_size_before_end": network.max_size,
    }
    # Closed: a max_size of 0 is always full, so a node failing later reopens nothing.
    network.max_size = 0
    network.full = True
    network.save(update_fields=["details", "max_size", "full"])
    _tell_group(network.pk, {"type": "group_ended", "network_id": network.pk, "reason": reason})
    return True


def _event(kind: str, network, participant) -> dict:
    return {"type": kind, "network_id": network.pk, "participant_id": participant.pk}


def _tell_group(network_pk: int, message: dict) -> None:
    # On the group's own channel: only its members hear it, and no client can forge it.
    realtime.publish(realtime.group_channel(network_pk), message)
