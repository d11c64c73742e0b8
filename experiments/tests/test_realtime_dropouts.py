"""Dropouts over real sockets: a member's socket dies mid-game, each policy acts, and a
reconnecting member gets their snapshot (Channels' WebsocketCommunicator, the real consumer)."""

import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from core.models import Info, Node, ParticipantStatus
from core.realtime import GROUP_CHANNEL_PREFIX, group_channel
from experiments import runtime
from experiments.models import GroupSeat
from experiments.services.presence import presence_sweep
from experiments.tests.test_realtime_consumer import ROOM, new_participant, next_frame, opened, run, socket

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 5  # seconds a frame may take to arrive before the test fails


@pytest.fixture
def game(use_experiment, monkeypatch):
    """The `realtime_room` experiment (channel `room`) with a group of two mid-game, under `policy`."""

    def start(policy):
        loaded = use_experiment(ROOM)
        monkeypatch.setattr(loaded.experiment_class, "dropout_policy", policy)
        experiment = runtime.experiment()
        network = experiment.create_network()
        network.max_size = 2
        network.save()
        members = [new_participant(1, mode="debug"), new_participant(2, mode="debug")]
        for member in members:
            GroupSeat.objects.create(participant=member, network=network)
            node = Node.objects.create(network=network, participant=member)
            Info.objects.create(origin=node, contents=f"move of {member.pk}")
        return network, members

    return start


async def group_message(communicator) -> tuple[str, dict]:
    """The next frame that the server sent about a group: (its channel, its payload)."""
    while True:
        channel, _, payload = (await communicator.receive_from(WAIT)).partition(":")
        if channel.startswith(GROUP_CHANNEL_PREFIX):
            return channel, json.loads(payload)


def member_socket(participant, network):
    """A member's socket, as the group's page opens it: the experiment's channel and the group's."""
    return socket(f"channel=room,{group_channel(network.pk)}&participant_id={participant.pk}", participant)


async def snapshot(communicator) -> dict:
    while True:
        channel, _, payload = (await communicator.receive_from(WAIT)).partition(":")
        data = json.loads(payload)
        if channel == "dallinger_control" and data.get("type") == "snapshot":
            return data


@sync_to_async
def sweep_at(seconds: float) -> list[int]:
    """What the periodic sweep does `seconds` from now."""
    return presence_sweep(experiment=runtime.experiment(), now=timezone.now() + timedelta(seconds=seconds))


async def sweep_after_grace() -> list[int]:
    """What the periodic sweep does once the grace period has passed."""
    return await sweep_at(seconds=31)


@pytest.mark.parametrize(
    ("policy", "announced"),
    [("continue", "member_left"), ("pause", "pause"), ("replace_with_bot", "replaced"), ("end_group", "group_ended")],
)
def test_a_socket_killed_mid_game_is_handled_by_the_policy_and_the_group_hears_it(game, policy, announced):
    network, (alice, bob) = game(policy)
    # Carol plays in another group: she listens on the experiment's channel and on her group's.
    other = runtime.experiment().create_network()
    other.save()
    carol = new_participant(3, mode="debug")
    Node.objects.create(network=other, participant=carol)

    async def scenario():
        a = await opened(member_socket(alice, network))
        b = await opened(member_socket(bob, network))
        c = await opened(member_socket(carol, other))
        assert (await snapshot(a))["node_id"] is not None
        await snapshot(b)
        await snapshot(c)
        await a.disconnect()
        assert await sweep_after_grace() == [alice.pk]
        channel, message = await group_message(b)
        assert channel == group_channel(network.pk)
        assert message["type"] == announced
        assert message["network_id"] == network.pk
        # Carol's next frame is her own, sent after the group's message was published: she
        # never heard of another group's trouble.
        await c.send_to("room:after")
        assert await next_frame(c) == "room:after"
        await b.disconnect()
        await c.disconnect()

    run(scenario)
    alice.refresh_from_db()
    alice_node = Node.objects.get(network=network, all_infos__contents=f"move of {alice.pk}")
    if policy == "continue":
        assert alice_node.failed
    elif policy == "replace_with_bot":
        assert alice.status == ParticipantStatus.REPLACED
        assert alice_node.participant.recruiter_id == "bots"
        assert not alice_node.failed
    elif policy == "end_group":
        network.refresh_from_db()
        assert network.full and network.details["group_ended"]
    else:
        assert not alice_node.failed and alice.status == ParticipantStatus.WORKING


def test_a_reconnecting_member_gets_their_node_the_groups_infos_and_the_group_resumes(game):
    network, (alice, bob) = game("pause")
    node = Node.objects.get(participant=alice)

    async def scenario():
        a = await opened(member_socket(alice, network))
        b = await opened(member_socket(bob, network))
        await snapshot(a)
        await snapshot(b)
        await a.disconnect()
        await sweep_after_grace()
        assert (await group_message(b))[1]["type"] == "pause"

        again = await opened(member_socket(alice, network))
        restored = await snapshot(again)
        assert restored["node_id"] == node.pk
        assert restored["network_id"] == network.pk
        assert [info["contents"] for info in restored["infos"]] == [f"move of {alice.pk}", f"move of {bob.pk}"]
        assert restored["paused"] is False
        assert (await group_message(b))[1]["type"] == "resume"
        await again.disconnect()
        await b.disconnect()

    run(scenario)


def test_a_heartbeat_keeps_a_member_present_while_a_closed_socket_starts_the_grace_period(game):
    network, (alice, bob) = game("continue")

    async def scenario():
        a = await opened(socket(f"channel=room&participant_id={alice.pk}", alice))
        await snapshot(a)
        await a.send_to('dallinger_control:{"type": "heartbeat"}')
        await a.send_to("room:beat sent")  # echoed once the heartbeat has been handled
        assert await next_frame(a) == "room:beat sent"
        # Open socket, beating: present within the grace period after its last heartbeat.
        assert await sweep_at(seconds=10) == []
        await a.disconnect()
        assert await sweep_after_grace() == [alice.pk]

    run(scenario)


def test_a_socket_whose_heartbeats_stop_is_declared_gone_and_its_next_heartbeat_brings_it_back(game):
    network, (alice, bob) = game("pause")

    async def scenario():
        a = await opened(member_socket(alice, network))
        b = await opened(member_socket(bob, network))
        await snapshot(a)
        await snapshot(b)
        await a.send_to('dallinger_control:{"type": "heartbeat"}')
        await a.send_to("room:beat sent")
        assert await next_frame(a) == "room:beat sent"
        # Nothing closes Alice's socket, but no heartbeat comes within the grace period (as
        # when the process holding it died): she is declared gone and her group pauses.
        assert await sweep_after_grace() == [alice.pk]
        assert (await group_message(b))[1]["type"] == "pause"
        # Her socket was alive after all: its next heartbeat is a return.
        await a.send_to('dallinger_control:{"type": "heartbeat"}')
        assert (await group_message(b))[1]["type"] == "resume"
        await a.disconnect()
        await b.disconnect()

    run(scenario)
