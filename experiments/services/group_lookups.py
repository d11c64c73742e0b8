"""Reads about groups and presence: a participant's group network, its members, who is away."""

from django.db.models import Q

from core.models import Info, Network, Node, Participant, ParticipantStatus
from core.timestamps import plain_json
from experiments.models import GroupSeat, Presence

#: How many of a network's latest infos a reconnecting participant is sent.
SNAPSHOT_INFOS = 50


def is_group_member(*, participant, network_id: int) -> bool:
    """Whether `participant` was placed in network `network_id`: a node there (live or failed)
    or a seat in its group (kept by a member a bot replaced)."""
    return (
        GroupSeat.objects.filter(participant=participant, network_id=network_id).exists()
        or Node.objects.filter(participant=participant, network_id=network_id).exists()
    )


def group_network_of(*, participant) -> Network | None:
    """The live group network the waiting room put `participant` in, if they have no node there yet."""
    seat = GroupSeat.objects.filter(participant=participant).select_related("network").first()
    network = seat.network if seat else None
    if network is None or network.full or network.failed or network.details.get("group_ended"):
        return None
    if Node.objects.filter(network=network, participant=participant).exists():
        return None
    return network


def networks_of(*, participant) -> list[Network]:
    """The networks `participant` has a live node in (or their group network), by id."""
    ids = set(Node.objects.filter(participant=participant, failed=False).values_list("network_id", flat=True))
    seat = GroupSeat.objects.filter(participant=participant, network__isnull=False).first()
    if seat:
        ids.add(seat.network_id)
    return list(Network.objects.filter(pk__in=ids).order_by("pk"))


def members_of(*, network) -> list[Participant]:
    """Participants with a live node in `network`, or seated in it, by id."""
    with_nodes = Node.objects.filter(network=network, failed=False, participant__isnull=False).values("participant_id")
    seated = GroupSeat.objects.filter(network=network).values("participant_id")
    return list(Participant.objects.filter(Q(pk__in=with_nodes) | Q(pk__in=seated)).order_by("id"))


def away_members(*, network) -> list[int]:
    """Ids of working members of `network` whose dropout was declared and who have not returned."""
    members = [member.pk for member in members_of(network=network) if member.status == ParticipantStatus.WORKING]
    return sorted(Presence.objects.filter(participant_id__in=members, disconnected=True).values_list("pk", flat=True))


def gone_since(cutoff) -> Q:
    """Presences that show no sign of life since `cutoff`: no open socket since then, or
    sockets counted as open whose heartbeats stopped before it (a web process died without
    closing them). Sockets that never sent a heartbeat (Dallinger's clients send none) count
    as open until they close."""
    return Q(sockets=0, last_seen__lt=cutoff) | Q(sockets__gt=0, last_heartbeat__lt=cutoff)


def overdue_presences(*, cutoff) -> list[Presence]:
    """Working participants gone since before `cutoff` (`gone_since`), not yet declared gone."""
    return list(
        Presence.objects.filter(
            gone_since(cutoff), disconnected=False, participant__status=ParticipantStatus.WORKING
        ).order_by("last_seen")
    )


def snapshot_of(*, participant) -> dict:
    """What a (re)connecting participant needs to continue: their node, group, and its recent infos."""
    node = Node.objects.filter(participant=participant, failed=False).order_by("-pk").first()
    networks = networks_of(participant=participant)
    network = node.network if node else (networks[-1] if networks else None)
    infos = []
    if network is not None:
        latest = Info.objects.filter(network=network, failed=False).order_by("-creation_time", "-pk")[:SNAPSHOT_INFOS]
        infos = [_plain(info.__json__()) for info in reversed(list(latest))]
    presence = Presence.objects.filter(participant=participant).first()
    return {
        "type": "snapshot",
        "participant_id": participant.pk,
        "status": participant.status,
        "node_id": node.pk if node else None,
        "network_id": network.pk if network else None,
        "infos": infos,
        "paused": bool(network and away_members(network=network)),
        "group_ended": bool(network and network.details.get("group_ended")),
        "disconnected": bool(presence and presence.disconnected),
    }


def _plain(data: dict) -> dict:
    # Datetimes as Dallinger writes them, so the snapshot can travel as JSON.
    return plain_json(data)
