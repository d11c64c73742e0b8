"""A participant a bot replaced who comes back: sent to the exit page over HTTP and websocket,
never back into the game (their base payment on Prolific: test_prolific_exit.py)."""

import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction
from django.test import Client
from django.utils import timezone

from core.models import Info, Node, ParticipantStatus
from experiments import runtime
from experiments.services.dropouts import bot_substitute
from experiments.services.presence import presence_beat, presence_sweep
from experiments.tests.api_support import assert_error, post_form
from experiments.tests.test_realtime_consumer import (
    ROOM,
    frames_until_close,
    new_participant,
    opened,
    run,
    socket,
)

REPLACED = "participant_replaced"


def seated_with_a_node(participant):
    """`participant` playing in a network of their own, with a move made."""
    network = runtime.experiment().create_network()
    network.save()
    node = Node.objects.create(network=network, participant=participant)
    Info.objects.create(origin=node, contents="first move")
    return node


def replace(participant):
    with transaction.atomic():
        return bot_substitute(experiment=runtime.experiment(), participant=participant)


# Over HTTP --------------------------------------------------------------------------------


@pytest.fixture
def room(use_experiment):
    return use_experiment(ROOM)


def test_a_replaced_participant_reloading_the_game_is_sent_to_the_exit_page(client, room, make_participant):
    participant = make_participant()
    seated_with_a_node(participant)
    replace(participant)

    response = client.get(f"/exp?participant_id={participant.pk}")
    assert response.status_code == 302
    assert response["Location"] == f"/recruiter-exit?participant_id={participant.pk}"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "a computer player took your place" in page.content.decode()
    assert "You are paid for the part you played." in page.content.decode()

    # A browser that does not hold them learns nothing: it gets the page as anyone would.
    assert Client().get(f"/exp?participant_id={participant.pk}").status_code == 200


def test_the_earlier_participant_of_a_restarted_assignment_is_not_taken_for_one_a_bot_replaced(
    client, room, make_participant
):
    earlier = make_participant(status=ParticipantStatus.REPLACED)  # the worker started again
    assert client.get(f"/exp?participant_id={earlier.pk}").status_code == 200
    assert "computer player" not in client.get(f"/recruiter-exit?participant_id={earlier.pk}").content.decode()


def test_a_replaced_participant_posting_to_the_api_is_told_to_finish_and_changes_nothing(
    client, room, make_participant
):
    participant = make_participant()
    node = seated_with_a_node(participant)
    bot = replace(participant)

    refused = assert_error(post_form(client, f"/node/{participant.pk}"), 403, error_code=REPLACED)
    assert f"/recruiter-exit?participant_id={participant.pk}" in refused["message"]
    # Their old node is the bot's now: a move posted there is refused the same way.
    refused = assert_error(post_form(client, f"/info/{node.pk}", {"contents": "late move"}), 403, error_code=REPLACED)
    assert "replaced" in refused["message"]

    assert list(Info.objects.values_list("contents", flat=True)) == ["first move"]
    assert Node.objects.get(pk=node.pk).participant_id == bot.pk
    assert Node.objects.filter(participant=participant).count() == 0
    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.REPLACED


def test_someone_else_at_the_bots_node_is_refused_as_before(client, room, make_participant):
    participant = make_participant(bound=False)  # not this browser's
    node = seated_with_a_node(participant)
    replace(participant)
    assert_error(post_form(client, f"/info/{node.pk}", {"contents": "x"}), 403, error_code="participant_not_yours")


# Over the websocket -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_replaced_participant_reconnecting_is_closed_and_sent_to_the_exit_page(room):
    participant = new_participant(1, mode="debug")
    seated_with_a_node(participant)
    replace(participant)

    async def scenario():
        communicator = await opened(socket(f"channel=room&participant_id={participant.pk}", participant))
        return await frames_until_close(communicator)

    texts, code = run(scenario)
    assert code == 4410
    channel, _, payload = texts[0].partition(":")
    assert channel == "dallinger_control"
    error = json.loads(payload)
    assert (error["type"], error["error_code"]) == ("error", REPLACED)
    assert error["exit_url"] == f"/recruiter-exit?participant_id={participant.pk}"
    assert "a computer player took your place" in error["message"]


@pytest.mark.django_db(transaction=True)
def test_a_socket_that_comes_back_to_life_after_its_participant_was_replaced_is_sent_away(room, monkeypatch):
    monkeypatch.setattr(room.experiment_class, "dropout_policy", "replace_with_bot")
    participant = new_participant(1, mode="debug")
    node = seated_with_a_node(participant)

    async def scenario():
        communicator = await opened(socket(f"channel=room&participant_id={participant.pk}", participant))
        # The snapshot comes once the socket is counted; then a heartbeat, and no more.
        assert '"snapshot"' in await communicator.receive_from(5)
        await sync_to_async(presence_beat)(participant_id=participant.pk)
        # Its heartbeats stopped (a frozen browser): the sweep declares it gone, a bot takes over.
        acted = await sync_to_async(lambda: presence_sweep(
            experiment=runtime.experiment(), now=timezone.now() + timedelta(seconds=31)
        ))()  # fmt: skip
        assert acted == [participant.pk]
        await communicator.send_to('dallinger_control:{"type": "heartbeat"}')
        texts, code = await frames_until_close(communicator)
        return [text for text in texts if '"error"' in text], code

    errors, code = run(scenario)
    assert code == 4410
    assert json.loads(errors[-1].partition(":")[2])["error_code"] == REPLACED
    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.REPLACED
    assert Node.objects.get(pk=node.pk).participant.recruiter_id == "bots"
