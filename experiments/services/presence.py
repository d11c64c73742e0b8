"""Presence: who has a socket open, who has been gone past the grace period, and the claim
that makes one process (of many web and worker processes) act on each dropout."""

import json
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.fetch import by_pk
from core.models import Participant
from core.realtime import CONTROL_CHANNEL, QUORUM_CHANNEL
from experiments.models import HeldSocket, Presence
from experiments.services.dropouts import participant_dropout, participant_return
from experiments.services.group_lookups import gone_since, overdue_presences, snapshot_of
from experiments.services.groups import groups_form, waiting_room_join
from experiments.services.liveness import process_check_in, sockets_of_gone_processes_release
from experiments.services.replacement import is_replaced


def presence_connect(
    *, experiment, participant_id: int, channel_names, socket_key: str | None = None, process_id: str | None = None
) -> list[str]:
    """A socket of the participant opened: count it, handle a return from a dropout, seat a
    waiter on the `quorum` channel, and return the frames to send on this socket: the
    snapshot (their node, their group's recent infos, `realtime_snapshot`), when they are in
    a network or the experiment has state for them. Nothing for an unknown participant.

    `socket_key` (unique to the socket) and `process_id` (the process holding it) record who
    holds it, so that the sweep can uncount it should that process die without closing it
    (experiments/services/liveness.py)."""
    now = timezone.now()
    waiting = QUORUM_CHANNEL in channel_names and experiment.group_size
    with transaction.atomic():
        participant = by_pk(Participant, participant_id)
        if participant is None:
            return []
        # Locked (NO KEY UPDATE: rows that reference the participant stay free) until the
        # socket is counted, so the sockets of one participant opening at once count one by
        # one and only one of them handles a return from a dropout. A first socket creates
        # the row; get_or_create takes care of a concurrent first socket.
        presence, _ = Presence.objects.select_for_update(no_key=True).get_or_create(
            participant=participant, defaults={"last_seen": now}
        )
        returning = presence.disconnected
        presence.sockets += 1
        presence.last_seen = now
        # Heartbeats start again from this socket: one that sends none (a Dallinger client)
        # must not be taken for dead because an earlier socket's heartbeats stopped.
        presence.last_heartbeat = None
        presence.disconnected = False
        presence.save(update_fields=["sockets", "last_seen", "last_heartbeat", "disconnected"])
        if socket_key is not None:
            _socket_hold(participant, socket_key, process_id, now)
        if returning:
            participant_return(experiment=experiment, participant=participant)
        if waiting:
            waiting_room_join(experiment=experiment, participant=participant)
    if waiting:
        # After the seat is committed, in a transaction of its own: formation's lock is global,
        # and held to the end of the connect it made every other socket's opening wait (each
        # websocket process runs its database work in one thread). The seat is in the waiting
        # room either way: formation, here or in any other process, sees every committed seat.
        groups_form(experiment=experiment, now=now)
    # Reads only, after the commit: no lock is held while they run, and they need no transaction.
    snapshot = {**snapshot_of(participant=participant), "state": experiment.realtime_snapshot(participant)}
    if snapshot["network_id"] is None and not snapshot["state"]:
        return []  # Nothing to continue yet (a new arrival): no snapshot.
    return [f"{CONTROL_CHANNEL}:{json.dumps(snapshot, cls=DjangoJSONEncoder)}"]


def presence_beat(*, participant_id: int) -> bool:
    """A heartbeat: the participant is still there. False when they had been declared
    disconnected (their heartbeats had stopped reaching the server): `presence_resume` then
    takes them back. One statement, as heartbeats come from every socket every 10 s."""
    now = timezone.now()
    return bool(
        Presence.objects.filter(pk=participant_id, disconnected=False).update(last_seen=now, last_heartbeat=now)
    )


def presence_resume(
    *, experiment, participant_id: int, socket_key: str | None = None, process_id: str | None = None
) -> None:
    """A participant declared disconnected is heard from again on a socket that stayed open:
    they are back, as if they had opened a socket (`participant_return`, once). The socket
    (`socket_key`, held by `process_id`) is counted again."""
    now = timezone.now()
    with transaction.atomic():
        presence = Presence.objects.select_for_update(no_key=True).filter(pk=participant_id, disconnected=True).first()
        if presence is None:
            return  # unknown, or another socket's heartbeat handled the return first
        participant = by_pk(Participant, participant_id)
        if is_replaced(participant):
            return  # a bot has their place: they are not taken back (the socket is sent to the end)
        # The declaration counted the sockets as closed: this one is open.
        presence.sockets = max(presence.sockets, 1)
        presence.last_seen = presence.last_heartbeat = now
        presence.disconnected = False
        presence.save(update_fields=["sockets", "last_seen", "last_heartbeat", "disconnected"])
        if socket_key is not None:
            _socket_hold(participant, socket_key, process_id, now)
        participant_return(experiment=experiment, participant=participant)


def presence_leave(*, participant_id: int, socket_key: str | None = None) -> None:
    """A socket of the participant closed; the grace period starts when the last one has.

    A socket recorded as held (`socket_key`) is uncounted only if its record was still there:
    the sweep may have uncounted it already (its process seemed dead, or its participant was
    declared gone)."""
    now = timezone.now()
    with transaction.atomic():
        # The presence first, then the socket's record: the order every flow locks them in.
        Presence.objects.select_for_update(no_key=True).filter(pk=participant_id).first()
        counted = socket_key is None or HeldSocket.objects.filter(pk=socket_key).delete()[0]
        if counted:
            Presence.objects.filter(pk=participant_id, sockets__gt=0).update(sockets=F("sockets") - 1)
        Presence.objects.filter(pk=participant_id).update(last_seen=now)


def _socket_hold(participant, socket_key: str, process_id: str | None, now) -> None:
    # The process's check-in in the same transaction: a socket never names a process the
    # sweep could take for one that never checked in.
    process_id = process_id or "unknown"
    process_check_in(process_id=process_id, now=now)
    HeldSocket.objects.update_or_create(
        key=socket_key, defaults={"participant": participant, "process_id": process_id, "opened": now}
    )


def presence_sweep(*, experiment, now=None) -> list[int]:
    """Declare disconnected every working participant gone past `disconnect_grace_seconds`
    (their last socket closed, or was held by a process that stopped checking in, or their
    open sockets' heartbeats stopped: a web process died with them) and apply the dropout
    policy; the ids acted on (by this call: each dropout is claimed by one conditional
    update, so concurrent sweeps never act twice)."""
    now = now or timezone.now()
    # Sockets whose process died are closed as far as anyone can tell: uncounted first, so
    # that their participants' grace period (from when the process was last heard) applies.
    sockets_of_gone_processes_release(now=now)
    cutoff = now - timedelta(seconds=experiment.disconnect_grace_seconds)
    acted = []
    for presence in overdue_presences(cutoff=cutoff):
        with transaction.atomic():
            # Sockets whose heartbeats stopped are closed as far as anyone can tell: counted
            # as closed, a return opens from nothing.
            claimed = Presence.objects.filter(gone_since(cutoff), pk=presence.pk, disconnected=False).update(
                disconnected=True, disconnected_at=now, sockets=0
            )
            if not claimed:
                continue
            # Counted as closed: the records of their sockets go too, so that one closing
            # later is not uncounted again from a count a new socket has raised.
            HeldSocket.objects.filter(participant_id=presence.pk).delete()
            participant = by_pk(Participant, presence.pk, lock="no_key_update")
            participant_dropout(experiment=experiment, participant=participant)
            acted.append(participant.pk)
    return acted
