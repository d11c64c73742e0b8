"""Group formation by arrival in the waiting room, through the services the consumer's hooks call."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from core.models import Network, ParticipantStatus
from experiments.binding import Caller
from experiments.models import GroupSeat
from experiments.services.groups import groups_form
from experiments.services.nodes import node_create_for_participant
from experiments.services.presence import presence_connect, presence_leave, presence_sweep
from experiments.tests.realtime_support import GroupGame, make_participant

pytestmark = pytest.mark.django_db


def arrive(experiment, count):
    """`count` participants open the waiting room's socket, one after the other."""
    participants = []
    for _ in range(count):
        participant = make_participant()
        presence_connect(experiment=experiment, participant_id=participant.pk, channel_names=["quorum"])
        participants.append(participant)
    return participants


def group_of(participant):
    return GroupSeat.objects.get(participant=participant).network_id


def test_waiters_are_batched_in_arrival_order_into_a_network_per_group(published):
    experiment = GroupGame(group_size=2)
    first, second, third, fourth, fifth = arrive(experiment, 5)

    assert group_of(first) == group_of(second)
    assert group_of(third) == group_of(fourth)
    assert group_of(first) != group_of(third)
    assert group_of(fifth) is None
    assert Network.objects.count() == 2
    assert {network.max_size for network in Network.objects.all()} == {2}
    # Each member alone hears of their group, and of nobody else in it.
    assert published.personal == [
        (member.pk, "quorum", {"type": "group", "network_id": group_of(member), "participant_ids": [member.pk]})
        for member in (first, second, third, fourth)
    ]


def test_a_waiters_node_goes_in_their_own_group(published):
    experiment = GroupGame(group_size=2)
    first, second, third, fourth = arrive(experiment, 4)
    for participant in (fourth, first):
        node = node_create_for_participant(
            experiment=experiment, participant_id=participant.pk, caller=Caller(enforced=False)
        )
        assert node.network_id == group_of(participant)


def test_a_waiter_who_left_is_passed_over_until_they_return(published):
    experiment = GroupGame(group_size=2)
    (gone,) = arrive(experiment, 1)
    presence_leave(participant_id=gone.pk)
    presence_sweep(experiment=experiment, now=timezone.now() + timedelta(seconds=31))
    second, third = arrive(experiment, 2)
    assert group_of(second) == group_of(third)
    assert group_of(gone) is None

    presence_connect(experiment=experiment, participant_id=gone.pk, channel_names=["quorum"])
    (fourth,) = arrive(experiment, 1)
    assert group_of(gone) == group_of(fourth) is not None


def test_when_the_wait_runs_out_a_smaller_group_starts(published):
    experiment = GroupGame(group_size=3, group_min_size=2, group_max_wait_seconds=60)
    first, second = arrive(experiment, 2)
    assert groups_form(experiment=experiment, now=timezone.now() + timedelta(seconds=59)) == []
    (network,) = groups_form(experiment=experiment, now=timezone.now() + timedelta(seconds=61))
    assert network.max_size == 2
    assert group_of(first) == group_of(second) == network.pk


def test_when_the_wait_runs_out_below_the_minimum_the_waiters_are_released(published):
    experiment = GroupGame(group_size=3, group_min_size=2, group_max_wait_seconds=60)
    (alone,) = arrive(experiment, 1)
    assert groups_form(experiment=experiment, now=timezone.now() + timedelta(seconds=61)) == []
    alone.refresh_from_db()
    # Over-recruited: sent to finish, paid their base by the normal submission, free to come again.
    assert alone.status == ParticipantStatus.OVERRECRUITED
    assert published.personal[-1] == (alone.pk, "quorum", {"type": "released", "participant_ids": [alone.pk]})
    assert not Network.objects.exists()


def test_release_policy_releases_even_a_group_that_could_start_smaller(published):
    experiment = GroupGame(group_size=3, group_min_size=2, group_max_wait_seconds=60, group_timeout_policy="release")
    first, second = arrive(experiment, 2)
    groups_form(experiment=experiment, now=timezone.now() + timedelta(seconds=61))
    for participant in (first, second):
        participant.refresh_from_db()
        assert participant.status == ParticipantStatus.OVERRECRUITED
    assert not Network.objects.exists()


def test_group_size_means_nobody_is_over_recruited_by_the_quorum():
    experiment = GroupGame(group_size=3)
    experiment.quorum = 3
    assert not experiment.is_overrecruited(10)


def test_an_unknown_timeout_policy_is_a_configuration_error():
    experiment = GroupGame(group_size=2, group_timeout_policy="wait_forever")
    with pytest.raises(ImproperlyConfigured, match="group_timeout_policy"):
        groups_form(experiment=experiment)
