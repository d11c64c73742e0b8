"""The waiting room tells each participant about their own group or release only: no frame on a
waiter's socket names another participant (Channels' WebsocketCommunicator, the real consumer)."""

import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from core.models import ParticipantStatus
from experiments import runtime
from experiments.models import GroupSeat
from experiments.services.groups import groups_form
from experiments.tests.test_realtime_consumer import ROOM, new_participant, opened, run, socket

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 5  # seconds a frame may take to arrive before the test fails


@pytest.fixture
def grouping(use_experiment, monkeypatch):
    """The `realtime_room` experiment forming groups of `size` by arrival (a quorum of 2)."""

    def use(size, **attributes):
        loaded = use_experiment(ROOM, room_quorum=2)
        monkeypatch.setattr(loaded.experiment_class, "group_size", size)
        for name, value in attributes.items():
            monkeypatch.setattr(loaded.experiment_class, name, value)

    return use


def waiting_socket(participant):
    return socket(f"channel=quorum&participant_id={participant.pk}", participant)


async def frames_now(communicator) -> list[tuple[str, dict]]:
    """Every frame the socket has received so far and until it has been quiet for a moment."""
    frames = []
    while not await communicator.receive_nothing(timeout=0.5):
        channel, _, payload = (await communicator.receive_from(WAIT)).partition(":")
        frames.append((channel, json.loads(payload)))
    return frames


def participants_named(value, key="") -> set[int]:
    """Every participant id a frame's JSON holds, under any key that speaks of participants."""
    if isinstance(value, dict):
        return set().union(*(participants_named(item, name) for name, item in value.items()))
    if isinstance(value, list):
        return set().union(*(participants_named(item, key) for item in value))
    if "participant" in key and value not in (None, ""):
        return {int(value)}
    return set()


async def next_of_type(communicator, kind: str) -> dict:
    while True:
        channel, _, payload = (await communicator.receive_from(WAIT)).partition(":")
        data = json.loads(payload)
        if channel == "quorum" and data.get("type") == kind:
            return data


def test_each_waiter_hears_only_of_their_own_group(grouping):
    grouping(2)
    alice, bob, carol, dave = (new_participant(number, mode="debug") for number in range(1, 5))

    async def scenario():
        sockets = {}
        heard = {}
        # Alice and Bob form the first group, Carol and Dave the second; every socket stays
        # open while the other group forms.
        for participant in (alice, bob, carol, dave):
            sockets[participant.pk] = await opened(waiting_socket(participant))
            heard[participant.pk] = await frames_now(sockets[participant.pk])
        for participant in (alice, bob, carol, dave):
            heard[participant.pk] += await frames_now(sockets[participant.pk])
            await sockets[participant.pk].disconnect()
        return heard

    heard = run(scenario)
    seats = dict(GroupSeat.objects.values_list("participant_id", "network_id"))
    assert seats[alice.pk] == seats[bob.pk] != seats[carol.pk] == seats[dave.pk]
    for participant in (alice, bob, carol, dave):
        frames = heard[participant.pk]
        groups = [data for channel, data in frames if channel == "quorum" and data.get("type") == "group"]
        assert groups == [
            {"type": "group", "network_id": seats[participant.pk], "participant_ids": [participant.pk]}
        ], frames
        # The count Dallinger's waitForQuorum reads is as Dallinger sends it.
        assert any(channel == "quorum" and set(data) == {"q", "n", "overrecruited", "grouping"}
                   for channel, data in frames)  # fmt: skip
        named = set().union(*(participants_named(data) for _, data in frames))
        assert named == {participant.pk}, frames


def test_a_released_waiter_alone_hears_of_their_release(grouping):
    grouping(3, group_min_size=3, group_max_wait_seconds=60)
    alice, bob = new_participant(1, mode="debug"), new_participant(2, mode="debug")
    listener = new_participant(3, mode="debug")
    listener.status = ParticipantStatus.APPROVED  # not waiting: never seated
    listener.save()

    async def scenario():
        a = await opened(waiting_socket(alice))
        b = await opened(waiting_socket(bob))
        other = await opened(waiting_socket(listener))
        await frames_now(a), await frames_now(b), await frames_now(other)
        await sync_to_async(wait_runs_out)()
        released = await next_of_type(a, "released"), await next_of_type(b, "released")
        later = await frames_now(a) + await frames_now(b)
        overheard = await frames_now(other)
        for communicator in (a, b, other):
            await communicator.disconnect()
        return released, later, overheard

    def wait_runs_out():
        groups_form(experiment=runtime.experiment(), now=timezone.now() + timedelta(seconds=61))

    (to_alice, to_bob), later, overheard = run(scenario)
    assert to_alice == {"type": "released", "participant_ids": [alice.pk]}
    assert to_bob == {"type": "released", "participant_ids": [bob.pk]}
    assert not [data for _, data in later if data.get("type") == "released"]
    assert not [data for _, data in overheard if data.get("type") in ("released", "group")]
    assert not set().union(*(participants_named(data) for _, data in overheard)) - {listener.pk}
