"""The waiting room's global locks are taken only where a guarantee needs them.

Arrivals take the one `quorum` lock only where over-recruitment is possible, and a socket
opening in a waiting room that forms groups by arrival holds the group-formation lock for the
formation alone, not for the rest of its connect: every other arrival and socket would queue
behind it (each websocket process runs its database work in one thread).
"""

import threading

import pytest
from django.db import connection

from core.locks import _lock_id
from core.models import Participant, ParticipantStatus
from experiments.experiment import Experiment
from experiments.models import GroupSeat
from experiments.services.participants import participant_create
from experiments.services.presence import presence_connect
from experiments.tests.realtime_support import GroupGame, make_participant
from tests.threads import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 10

_numbers = iter(range(1, 10_000))


def advisory_locks_held() -> set[int]:
    """The advisory locks (64-bit keys, as `core.locks` makes them) this session holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT classid::bigint, objid::bigint FROM pg_locks"
            " WHERE locktype = 'advisory' AND objsubid = 1 AND granted AND pid = pg_backend_pid()"
        )
        rows = cursor.fetchall()
    return {int.from_bytes(((high << 32) | low).to_bytes(8, "big"), "big", signed=True) for high, low in rows}


class Arrivals(Experiment):
    """Writes down, for each participant it creates, whether the `quorum` lock was held."""

    def __init__(self, quorum, group_size=0):
        super().__init__()
        self.quorum, self.group_size = quorum, group_size
        self.quorum_locked = []

    def create_participant(self, **arguments):
        self.quorum_locked.append(_lock_id("quorum") in advisory_locks_held())
        return super().create_participant(**arguments)


class OverrecruitingGroups(Arrivals):
    """Groups formed by arrival, with an over-recruitment rule of its own."""

    def is_overrecruited(self, waiting_count):
        return waiting_count > self.quorum


def arrive(experiment) -> Participant:
    number = next(_numbers)
    participant, _state = participant_create(
        experiment=experiment, worker_id=f"w{number}", hit_id="h", assignment_id=f"a{number}", mode="debug"
    )
    return participant


@pytest.mark.parametrize(
    ("kind", "quorum", "group_size", "locked"),
    [
        (Arrivals, 3, 0, True),
        (Arrivals, 3, 3, False),
        (OverrecruitingGroups, 3, 3, True),
        (Arrivals, 0, 0, False),
    ],
    ids=["quorum", "groups-by-arrival", "groups-with-own-overrecruitment", "no-quorum"],
)
def test_arrivals_are_counted_one_at_a_time_only_where_overrecruitment_is_possible(kind, quorum, group_size, locked):
    experiment = kind(quorum=quorum, group_size=group_size)

    arrive(experiment)

    assert experiment.quorum_locked == [locked]


def test_an_override_of_is_overrecruited_is_still_exact_with_groups_formed_by_arrival():
    experiment = OverrecruitingGroups(quorum=3, group_size=3)

    at_once(lambda: arrive(experiment), 8)

    assert Participant.objects.filter(status=ParticipantStatus.WORKING).count() == 3
    assert Participant.objects.filter(status=ParticipantStatus.OVERRECRUITED).count() == 5


class PausingSnapshot(GroupGame):
    """Groups of two whose snapshot, for one participant, waits until told to go on."""

    def __init__(self, **attributes):
        super().__init__(**attributes)
        self.slow = None
        self.reading, self.go_on = threading.Event(), threading.Event()

    def realtime_snapshot(self, participant):
        if participant.pk == self.slow:
            self.reading.set()
            self.go_on.wait(WAIT_SECONDS)
        return {}


def test_a_socket_reading_its_snapshot_does_not_hold_up_group_formation_elsewhere(published):
    experiment = PausingSnapshot(group_size=2)
    first, second = make_participant(), make_participant()
    experiment.slow = first.pk
    finished = {}

    def open_socket(participant):
        try:
            presence_connect(experiment=experiment, participant_id=participant.pk, channel_names=["quorum"])
            finished[participant.pk] = True
        finally:
            connection.close()

    slow = threading.Thread(target=open_socket, args=(first,))
    slow.start()
    try:
        assert experiment.reading.wait(WAIT_SECONDS)
        # The first socket is reading its snapshot: the second's opening forms their group.
        other = threading.Thread(target=open_socket, args=(second,))
        other.start()
        other.join(WAIT_SECONDS)
        assert finished.get(second.pk), "the second socket waited for the first one's snapshot"
    finally:
        experiment.go_on.set()
        slow.join(WAIT_SECONDS)
    network = GroupSeat.objects.get(participant=first).network_id
    assert network is not None
    assert GroupSeat.objects.get(participant=second).network_id == network
