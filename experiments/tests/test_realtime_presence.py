"""Presence and dropout policies, through the services the `/chat` consumer's hooks call."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from core.models import Info, Network, Node, Participant, ParticipantStatus
from core.realtime import group_channel
from experiments.models import GroupSeat, HeldSocket, Presence, SocketProcess
from experiments.services.liveness import PROCESS_GONE_SECONDS, process_check_in
from experiments.services.presence import (
    presence_beat,
    presence_connect,
    presence_leave,
    presence_resume,
    presence_sweep,
)
from experiments.services.submission import replaced_participant_pay
from experiments.tests.api_support import TEST_EXPERIMENTS
from experiments.tests.realtime_support import GroupGame, make_participant
from recruitment.models import Payment, SubmissionSettlement

pytestmark = pytest.mark.django_db

LATER = timedelta(seconds=31)
ROOM = TEST_EXPERIMENTS / "realtime_room"


def group_of_two(experiment):
    """Two participants, seated together in one network, each with a node and one info."""
    network = experiment.create_network()
    network.max_size = 2
    network.save()
    members = [make_participant(), make_participant()]
    for member in members:
        GroupSeat.objects.create(participant=member, network=network)
        node = Node.objects.create(network=network, participant=member)
        Info.objects.create(origin=node, contents=f"hello from {member.pk}")
        presence_connect(experiment=experiment, participant_id=member.pk, channel_names=["game"])
    return network, members


def drop(experiment, participant):
    """Close the participant's socket and let the grace period pass."""
    presence_leave(participant_id=participant.pk)
    return presence_sweep(experiment=experiment, now=timezone.now() + LATER)


def test_sockets_are_counted_and_a_participant_is_gone_only_after_the_grace_period(published):
    experiment = GroupGame()
    participant = make_participant()
    presence_connect(experiment=experiment, participant_id=participant.pk, channel_names=["game"])
    presence_connect(experiment=experiment, participant_id=participant.pk, channel_names=["game"])
    presence_leave(participant_id=participant.pk)
    assert Presence.objects.get(pk=participant.pk).sockets == 1
    # One socket still open: never declared gone, however late.
    assert presence_sweep(experiment=experiment, now=timezone.now() + timedelta(hours=1)) == []

    presence_leave(participant_id=participant.pk)
    assert presence_sweep(experiment=experiment, now=timezone.now() + timedelta(seconds=10)) == []
    assert presence_sweep(experiment=experiment, now=timezone.now() + LATER) == [participant.pk]
    assert experiment.calls == [("disconnected", participant.pk)]


def test_a_dropout_is_acted_on_once_however_many_sweeps_run():
    experiment = GroupGame()
    participant = make_participant()
    presence_connect(experiment=experiment, participant_id=participant.pk, channel_names=["game"])
    assert drop(experiment, participant) == [participant.pk]
    assert presence_sweep(experiment=experiment, now=timezone.now() + LATER) == []
    assert experiment.calls == [("disconnected", participant.pk)]


def test_sockets_a_dead_server_left_open_are_declared_gone_once_their_heartbeats_stop(published):
    experiment = GroupGame(dropout_policy="replace_with_bot")
    network, (gone, staying) = group_of_two(experiment)
    presence_beat(participant_id=gone.pk)
    # The web process holding the socket dies: nothing closes it, its heartbeats stop.
    assert Presence.objects.get(pk=gone.pk).sockets == 1
    assert presence_sweep(experiment=experiment, now=timezone.now() + timedelta(seconds=10)) == []

    assert presence_sweep(experiment=experiment, now=timezone.now() + LATER) == [gone.pk]
    assert presence_sweep(experiment=experiment, now=timezone.now() + LATER) == []

    # The policy applied once: one bot took the node, one message told the group.
    assert experiment.calls[0] == ("disconnected", gone.pk)
    assert [call[0] for call in experiment.calls] == ["disconnected", "substitute"]
    assert [payload["type"] for _, payload in published] == ["replaced"]
    assert Presence.objects.get(pk=gone.pk).sockets == 0
    # The member who still beats stays.
    assert Participant.objects.get(pk=staying.pk).status == ParticipantStatus.WORKING


def test_a_socket_that_never_sends_heartbeats_counts_as_open_until_it_closes():
    # Dallinger's own clients send no heartbeats: an open socket is all the server knows.
    experiment = GroupGame()
    participant = make_participant()
    presence_connect(experiment=experiment, participant_id=participant.pk, channel_names=["game"])
    assert presence_sweep(experiment=experiment, now=timezone.now() + timedelta(hours=1)) == []


def test_a_new_socket_without_heartbeats_is_not_judged_by_an_earlier_sockets_heartbeats():
    experiment = GroupGame()
    participant = make_participant()
    presence_connect(experiment=experiment, participant_id=participant.pk, channel_names=["game"])
    presence_beat(participant_id=participant.pk)
    presence_leave(participant_id=participant.pk)
    presence_connect(experiment=experiment, participant_id=participant.pk, channel_names=["game"])
    assert presence_sweep(experiment=experiment, now=timezone.now() + timedelta(hours=1)) == []


def test_a_heartbeat_after_being_declared_gone_is_a_return(published):
    experiment = GroupGame(dropout_policy="pause")
    network, (gone, staying) = group_of_two(experiment)
    presence_beat(participant_id=gone.pk)
    assert presence_sweep(experiment=experiment, now=timezone.now() + LATER) == [gone.pk]

    # The socket was alive after all (its heartbeats were late): the next one brings them back.
    assert presence_beat(participant_id=gone.pk) is False
    presence_resume(experiment=experiment, participant_id=gone.pk)
    presence_resume(experiment=experiment, participant_id=gone.pk)
    assert experiment.calls == [("disconnected", gone.pk), ("reconnected", gone.pk)]
    assert published[-1] == (
        group_channel(network.pk),
        {"type": "resume", "network_id": network.pk, "participant_id": gone.pk},
    )
    assert presence_beat(participant_id=gone.pk) is True
    assert Presence.objects.get(pk=gone.pk).sockets == 1


def test_the_grace_period_is_the_experiments():
    experiment = GroupGame(disconnect_grace_seconds=120)
    participant = make_participant()
    presence_connect(experiment=experiment, participant_id=participant.pk, channel_names=["game"])
    assert drop(experiment, participant) == []
    assert presence_sweep(experiment=experiment, now=timezone.now() + timedelta(seconds=121)) == [participant.pk]


def test_a_heartbeat_or_socket_for_an_unknown_participant_changes_nothing():
    experiment = GroupGame()
    assert presence_connect(experiment=experiment, participant_id=999999, channel_names=["game"]) == []
    presence_beat(participant_id=999999)
    presence_leave(participant_id=999999)
    assert not Presence.objects.exists()


def test_a_participant_who_finished_is_not_a_dropout():
    experiment = GroupGame()
    participant = make_participant()
    presence_connect(experiment=experiment, participant_id=participant.pk, channel_names=["game"])
    Participant.objects.filter(pk=participant.pk).update(status=ParticipantStatus.SUBMITTED)
    assert drop(experiment, participant) == []


def test_continue_fails_the_dropouts_nodes_and_the_group_goes_on(published):
    experiment = GroupGame(dropout_policy="continue")
    network, (gone, staying) = group_of_two(experiment)
    drop(experiment, gone)
    assert Node.objects.get(participant=gone).failed
    assert not Node.objects.get(participant=staying).failed
    group = group_channel(network.pk)
    assert (group, {"type": "member_left", "network_id": network.pk, "participant_id": gone.pk}) in published


def test_pause_tells_the_group_and_resumes_when_they_return(published):
    experiment = GroupGame(dropout_policy="pause")
    network, (gone, staying) = group_of_two(experiment)
    drop(experiment, gone)
    assert published[-1] == (
        group_channel(network.pk),
        {"type": "pause", "network_id": network.pk, "participant_id": gone.pk, "away": [gone.pk]},
    )
    assert not Node.objects.get(participant=gone).failed

    frames = presence_connect(experiment=experiment, participant_id=gone.pk, channel_names=["game"])
    resume = {"type": "resume", "network_id": network.pk, "participant_id": gone.pk}
    assert published[-1] == (group_channel(network.pk), resume)
    assert experiment.calls == [("disconnected", gone.pk), ("reconnected", gone.pk)]
    channel, payload = frames[0].split(":", 1)
    snapshot = json.loads(payload)
    assert channel == "dallinger_control"
    assert snapshot["type"] == "snapshot"
    assert snapshot["node_id"] == Node.objects.get(participant=gone).pk
    assert snapshot["network_id"] == network.pk
    assert [info["contents"] for info in snapshot["infos"]] == [f"hello from {gone.pk}", f"hello from {staying.pk}"]
    assert snapshot["state"] == {"round": 3}
    assert snapshot["paused"] is False


def test_pause_resumes_only_when_every_dropout_is_back(published):
    experiment = GroupGame(dropout_policy="pause")
    network, (first, second) = group_of_two(experiment)
    drop(experiment, first)
    drop(experiment, second)
    presence_connect(experiment=experiment, participant_id=first.pk, channel_names=["game"])
    assert not any(payload["type"] == "resume" for _, payload in published)
    presence_connect(experiment=experiment, participant_id=second.pk, channel_names=["game"])
    assert published[-1][1]["type"] == "resume"


def test_replace_with_bot_gives_the_dropouts_node_to_a_bot_participant(published):
    experiment = GroupGame(dropout_policy="replace_with_bot")
    network, (gone, staying) = group_of_two(experiment)
    node = Node.objects.get(participant=gone)
    drop(experiment, gone)

    node.refresh_from_db()
    bot = node.participant
    assert bot.pk != gone.pk
    assert bot.recruiter_id == "bots"
    assert bot.status == ParticipantStatus.WORKING
    assert not node.failed
    assert node.infos()[0].contents == f"hello from {gone.pk}"
    gone.refresh_from_db()
    assert gone.status == ParticipantStatus.REPLACED
    assert GroupSeat.objects.get(participant=bot).network_id == network.pk
    assert experiment.calls[-1] == ("substitute", gone.pk, bot.pk, [node.pk])
    assert published[-1][0] == group_channel(network.pk)
    assert published[-1][1] == {
        "type": "replaced",
        "network_id": network.pk,
        "participant_id": gone.pk,
        "bot_participant_id": bot.pk,
        "node_ids": [node.pk],
    }


@pytest.fixture
def paying(use_experiment):
    """A configuration with `base_payment` 1.25 (tests that use it commit, so that the
    settling task sent after the commit runs)."""
    use_experiment(ROOM, base_payment=1.25)


def replaced_member(experiment):
    """A group of two whose first member drops out and is replaced by a bot; that member."""
    network, (gone, staying) = group_of_two(experiment)
    drop(experiment, gone)
    gone.refresh_from_db()
    assert gone.status == ParticipantStatus.REPLACED
    return gone


@pytest.mark.django_db(transaction=True)
def test_a_replaced_member_is_paid_their_base_payment_once_through_the_ledger(published, paying):
    experiment = GroupGame(dropout_policy="replace_with_bot")
    gone = replaced_member(experiment)

    (payment,) = Payment.objects.filter(participant_id=gone.pk)
    assert (payment.kind, payment.amount, payment.state) == (Payment.Kind.BASE, Decimal("1.25"), Payment.State.SENT)
    assert gone.base_pay == 1.25
    assert gone.status == ParticipantStatus.REPLACED  # paid, and still replaced: not approved
    # Nobody is recruited in their place: the bot took it.
    assert SubmissionSettlement.objects.get(participant_id=gone.pk).recruit == SubmissionSettlement.Recruit.NONE

    # Paying again (a task run twice, a second dropout handled for them) moves no more money.
    replaced_participant_pay(experiment=experiment, participant=gone, nodes=[])
    (again,) = Payment.objects.filter(participant_id=gone.pk)
    assert (again.pk, again.state, again.attempts) == (payment.pk, Payment.State.SENT, 1)


@pytest.mark.django_db(transaction=True)
def test_a_replaced_members_bonus_is_the_experiments_for_the_work_they_left(published, paying):
    class Scored(GroupGame):
        def replaced_bonus(self, participant, nodes):
            return 0.1 * sum(len(node.infos()) for node in nodes)

    experiment = Scored(dropout_policy="replace_with_bot")
    gone = replaced_member(experiment)
    payments = {payment.kind: payment.amount for payment in Payment.objects.filter(participant_id=gone.pk)}
    assert payments == {Payment.Kind.BASE: Decimal("1.25"), Payment.Kind.BONUS: Decimal("0.10")}


@pytest.mark.django_db(transaction=True)
def test_an_experiment_may_pay_replaced_members_nothing_as_dallinger_does(published, paying):
    experiment = GroupGame(dropout_policy="replace_with_bot", pay_replaced_participants=False)
    gone = replaced_member(experiment)
    assert not Payment.objects.filter(participant_id=gone.pk).exists()
    assert gone.base_pay is None


def test_end_group_closes_the_network_and_tells_everyone_to_finish(published):
    experiment = GroupGame(dropout_policy="end_group")
    network, (gone, staying) = group_of_two(experiment)
    drop(experiment, gone)
    network.refresh_from_db()
    assert network.full
    assert network.details["group_ended"] is True
    assert published[-1] == (
        group_channel(network.pk),
        {"type": "group_ended", "network_id": network.pk, "reason": "participant_disconnected"},
    )
    # Nobody is paid here: members finish through the normal submission.
    for member in (gone, staying):
        member.refresh_from_db()
        assert member.status == ParticipantStatus.WORKING
        assert member.base_pay is None
    # A node failing later does not reopen the closed network.
    Node.objects.get(participant=staying).fail()
    network.refresh_from_db()
    assert network.full
    # The one who comes back learns the group ended.
    frames = presence_connect(experiment=experiment, participant_id=gone.pk, channel_names=["game"])
    assert json.loads(frames[0].split(":", 1)[1])["group_ended"] is True


def test_an_unknown_policy_is_a_configuration_error_and_changes_nothing():
    experiment = GroupGame(dropout_policy="vanish")
    network, (gone, staying) = group_of_two(experiment)
    presence_leave(participant_id=gone.pk)
    with pytest.raises(ImproperlyConfigured, match="dropout_policy"):
        presence_sweep(experiment=experiment, now=timezone.now() + LATER)
    assert not Presence.objects.get(pk=gone.pk).disconnected
    assert not Node.objects.get(participant=gone).failed
    assert "group_ended" not in Network.objects.get(pk=network.pk).details


# Sockets held by a process that died ------------------------------------------------------


def open_on(experiment, participant, process_id, key):
    """A socket of `participant` (sending no heartbeats, as Dallinger's clients) held by process `process_id`."""
    presence_connect(
        experiment=experiment, participant_id=participant.pk, channel_names=["game"], socket_key=key,
        process_id=process_id,
    )  # fmt: skip


def test_sockets_of_a_process_that_stopped_checking_in_are_released_and_their_participant_is_gone(published):
    experiment = GroupGame()
    orphaned, served = make_participant(), make_participant()
    open_on(experiment, orphaned, "web-a", "socket-1")
    open_on(experiment, served, "web-b", "socket-2")
    # web-a is killed: it never checks in again; web-b goes on checking in.
    start = timezone.now()

    def sweep_at(seconds):
        process_check_in(process_id="web-b", now=start + timedelta(seconds=seconds))
        return presence_sweep(experiment=experiment, now=start + timedelta(seconds=seconds))

    assert sweep_at(PROCESS_GONE_SECONDS - 1) == []  # a process may be slow to check in
    assert Presence.objects.get(pk=orphaned.pk).sockets == 1
    # web-a is taken for dead: its socket is uncounted as if it closed when web-a was last
    # heard from, so its participant is gone once the grace period has run from then.
    assert sweep_at(PROCESS_GONE_SECONDS + 1) == [orphaned.pk]
    assert experiment.calls == [("disconnected", orphaned.pk)]
    assert Presence.objects.get(pk=orphaned.pk).sockets == 0
    # The socket of the live process still counts (no heartbeats: open until it closes).
    assert sweep_at(3600) == []
    assert Presence.objects.get(pk=served.pk).sockets == 1
    # Nothing is left of the dead process.
    assert not SocketProcess.objects.filter(pk="web-a").exists()
    assert not HeldSocket.objects.filter(process_id="web-a").exists()


def test_a_released_socket_that_closes_after_all_is_not_uncounted_twice(published):
    experiment = GroupGame(disconnect_grace_seconds=3600)
    participant = make_participant()
    open_on(experiment, participant, "slow", "old-socket")
    presence_sweep(experiment=experiment, now=timezone.now() + timedelta(seconds=PROCESS_GONE_SECONDS + 1))
    assert Presence.objects.get(pk=participant.pk).sockets == 0
    # They open a socket on another process; then the old one's close finally arrives.
    open_on(experiment, participant, "web-b", "new-socket")
    presence_leave(participant_id=participant.pk, socket_key="old-socket")
    assert Presence.objects.get(pk=participant.pk).sockets == 1
    presence_leave(participant_id=participant.pk, socket_key="new-socket")
    assert Presence.objects.get(pk=participant.pk).sockets == 0


def test_a_socket_counted_as_closed_when_its_participant_was_declared_gone_is_not_uncounted_again(published):
    experiment = GroupGame(dropout_policy="pause")
    network, (gone, staying) = group_of_two(experiment)
    open_on(experiment, gone, "web-a", "beating-socket")
    presence_beat(participant_id=gone.pk)
    # Its heartbeats stop: declared gone, every socket counted as closed.
    assert gone.pk in presence_sweep(experiment=experiment, now=timezone.now() + LATER)
    open_on(experiment, gone, "web-a", "reloaded")  # they come back on a new socket
    presence_leave(participant_id=gone.pk, socket_key="beating-socket")  # the old one closes at last
    assert Presence.objects.get(pk=gone.pk).sockets == 1
