"""Group formation and dropout claims under real concurrency (PostgreSQL, one connection per thread)."""

from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from core.models import Network, Node, Participant, ParticipantStatus
from experiments.models import GroupSeat, HeldSocket, Presence
from experiments.services.groups import groups_form, waiting_room_join
from experiments.services.liveness import PROCESS_GONE_SECONDS, process_check_in
from experiments.services.presence import presence_connect, presence_sweep
from experiments.tests.realtime_support import GroupGame, make_participant
from tests.threads import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 6


def test_concurrent_formations_never_overfill_nor_seat_anyone_twice(published):
    experiment = GroupGame(group_size=3)
    for _ in range(7):
        waiting_room_join(experiment=experiment, participant=make_participant())

    at_once(lambda: groups_form(experiment=experiment), THREADS)

    sizes = GroupSeat.objects.filter(network__isnull=False).values("network").annotate(size=Count("pk"))
    assert sorted(row["size"] for row in sizes) == [3, 3]
    assert Network.objects.count() == 2
    assert GroupSeat.objects.filter(network__isnull=True).count() == 1


def test_concurrent_sweeps_act_on_each_dropout_once(published):
    experiment = GroupGame()
    gone = [make_participant() for _ in range(4)]
    Presence.objects.bulk_create(
        Presence(participant=participant, sockets=0, last_seen=timezone.now()) for participant in gone
    )

    results = at_once(
        lambda: presence_sweep(experiment=experiment, now=timezone.now() + timedelta(seconds=31)), THREADS
    )

    acted = sorted(pk for result in results for pk in result)
    assert acted == sorted(participant.pk for participant in gone)
    assert sorted(pk for call, pk in experiment.calls) == acted


def test_concurrent_sweeps_release_the_sockets_of_a_dead_server_once(published):
    # Members whose sockets a crashed web process still counts as open: connected, with their
    # last heartbeat long ago, and no socket ever closed.
    experiment = GroupGame(dropout_policy="replace_with_bot")
    network = experiment.create_network()
    network.save()
    long_ago = timezone.now() - timedelta(minutes=5)
    gone = [make_participant() for _ in range(3)]
    for participant in gone:
        GroupSeat.objects.create(participant=participant, network=network)
        Node.objects.create(network=network, participant=participant)
    Presence.objects.bulk_create(
        Presence(participant=participant, sockets=1, last_seen=long_ago, last_heartbeat=long_ago)
        for participant in gone
    )

    results = at_once(lambda: presence_sweep(experiment=experiment), THREADS)

    acted = sorted(pk for result in results for pk in result)
    assert acted == sorted(participant.pk for participant in gone)
    # The policy applied once per member: one bot each, one message each.
    assert Participant.objects.filter(recruiter_id="bots").count() == len(gone)
    assert sorted(payload["participant_id"] for _, payload in published if payload["type"] == "replaced") == acted
    for participant in gone:
        participant.refresh_from_db()
        assert participant.status == ParticipantStatus.REPLACED
        assert Presence.objects.get(pk=participant.pk).sockets == 0


def test_sockets_opening_at_once_are_all_counted_and_a_return_is_handled_once(published):
    experiment = GroupGame()
    first_time, returning = make_participant(), make_participant()
    Presence.objects.create(participant=returning, sockets=0, disconnected=True, last_seen=timezone.now())

    def open_sockets():
        for participant in (first_time, returning):
            presence_connect(experiment=experiment, participant_id=participant.pk, channel_names=["game"])

    at_once(open_sockets, THREADS)

    # The first sockets of `first_time` created one row between them; every socket counts.
    assert Presence.objects.get(pk=first_time.pk).sockets == THREADS
    assert Presence.objects.get(pk=returning.pk).sockets == THREADS
    assert experiment.calls == [("reconnected", returning.pk)]


def test_concurrent_sweeps_release_each_socket_of_a_process_that_stopped_checking_in_once(published):
    # Dallinger clients (no heartbeats) on a web process that was killed: only its silence
    # shows their sockets are gone. One participant also has a socket on a live process.
    experiment = GroupGame()
    gone = [make_participant() for _ in range(3)]
    both = make_participant()
    for number, participant in enumerate([*gone, both]):
        presence_connect(
            experiment=experiment, participant_id=participant.pk, channel_names=["game"],
            socket_key=f"dead-{number}", process_id="killed",
        )  # fmt: skip
    presence_connect(
        experiment=experiment, participant_id=both.pk, channel_names=["game"], socket_key="live", process_id="alive"
    )
    later = timezone.now() + timedelta(seconds=PROCESS_GONE_SECONDS + 31)
    process_check_in(process_id="alive", now=later)

    results = at_once(lambda: presence_sweep(experiment=experiment, now=later), THREADS)

    acted = sorted(pk for result in results for pk in result)
    assert acted == sorted(participant.pk for participant in gone)
    assert sorted(pk for call, pk in experiment.calls) == acted
    # Each dead socket was uncounted once: the participant with a live socket still has it.
    assert Presence.objects.get(pk=both.pk).sockets == 1
    assert not Presence.objects.get(pk=both.pk).disconnected
    assert list(HeldSocket.objects.values_list("key", flat=True)) == ["live"]
