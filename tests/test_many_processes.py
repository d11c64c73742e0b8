"""Correctness with several web processes: real concurrent clients against two servers.

Two daphne processes (the project's web server) serve one PostgreSQL database. Each request
is sent from its own thread and connection, released together by a barrier, and the
requests alternate between the two servers, so that they race for the same rows from
different processes. Requests that must meet (two starts of one assignment, five submissions
of one participant) are released a group at a time: a crowd released at once queues in each
server and its members seldom overlap. Background tasks run in the web process that
enqueues them, after its commit. The experiment (`tests/experiments/fifty_slots`) records
every call of its hooks and of its recruiter as a row, so the tests can count them.
"""

from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from core.models import Info, Network, Node, Notification, Participant, Transmission, Vector
from core.networks import Chain, Empty
from core.record import clear_record
from tests.web_servers import Call, WebServers, holding, server_environment

EXPERIMENT = Path(__file__).resolve().parent / "experiments" / "fifty_slots"
SERVER_COUNT = 2
TOTAL_SLOTS = 50
CROWD = 200
PAIRS = 20
SUBMITTERS = 10
SUBMISSION_REPEATS = 5
BONUS = 0.5
SENDERS = 24
ROUNDS = 3

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, tmp_path_factory):
    """Two server processes running the fifty-slot experiment on the test database."""
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.skip("several server processes need a shared PostgreSQL database")
        settings_dict = dict(connection.settings_dict)
    environment = server_environment(settings_dict=settings_dict, experiment=EXPERIMENT)
    web = WebServers(count=SERVER_COUNT, environment=environment, log_dir=tmp_path_factory.mktemp("web-servers"))
    yield web
    web.stop()


@pytest.fixture
def web(servers):
    """The servers, on an empty record; afterwards, no server has logged a traceback."""
    clear_record()
    servers.new_tracebacks()
    yield servers
    assert not servers.new_tracebacks()


def assert_all_answered(results, allowed=(200,)) -> None:
    """Every request got an answer with one of the `allowed` statuses (never a 5xx)."""
    unexpected = [result for result in results if result[0] not in allowed]
    assert not unexpected, unexpected[:5]


def create_participants(web: WebServers, count: int, prefix: str) -> list[int]:
    """Create `count` working participants (distinct workers and assignments) over HTTP; their ids."""
    paths = [f"/participant/{prefix}w{number}/{prefix}h{number}/{prefix}a{number}/debug" for number in range(count)]
    results = web.all_at_once([Call("POST", path) for path in paths])
    assert_all_answered(results)
    return [body["participant"]["id"] for _, body in results]


def recorded_calls(name: str):
    """The rows the experiment wrote, one per call of its hook or recruiter method `name`."""
    return Notification.objects.filter(event_type=f"call:{name}")


def test_two_hundred_participants_racing_for_fifty_places_fill_them_exactly(web):
    # Given nine networks with fifty places in all, and two hundred working participants
    status, body = web.call(Call("POST", "/launch"))
    assert status == 200, body
    assert sum(Network.objects.values_list("max_size", flat=True)) == TOTAL_SLOTS
    participant_ids = create_participants(web, CROWD, prefix="join")

    # When all of them ask for a node at once, half at each server
    results = web.all_at_once([Call("POST", f"/node/{pk}", cookies=holding(pk)) for pk in participant_ids])

    # Then fifty get one, every other is refused because no network is left
    assert_all_answered(results, allowed=(200, 403))
    granted = {pk: body["node"] for pk, (status, body) in zip(participant_ids, results) if status == 200}
    assert len(granted) == TOTAL_SLOTS
    for status, body in results:
        if status == 403:
            assert body["status"] == "error" and body["error_code"] == "no_network_available", body
    nodes = Node.objects.filter(participant__isnull=False)
    assert sorted(nodes.values_list("participant_id", "id", "network_id")) == sorted(
        (pk, node["id"], node["network_id"]) for pk, node in granted.items()
    )

    # And no network holds more than its max_size, all are rightly marked full, chains are lines
    for network in Network.objects.order_by("id"):
        live = list(Node.objects.filter(network=network, failed=False).order_by("id").values_list("id", flat=True))
        assert len(live) == network.max_size, (network, live)
        assert network.full, network
        if isinstance(network, Chain):
            links = sorted(Vector.objects.filter(network=network).values_list("origin_id", "destination_id"))
            assert links == list(zip(live, live[1:])), (network, links)


def test_an_assignment_created_twice_at_once_keeps_one_working_participant(web):
    # Given twenty assignments, each about to be started twice by its worker
    paths = [f"/participant/twice{number}/hit{number}/twice-a{number}/debug" for number in range(PAIRS)]

    # When both starts of an assignment arrive at once, one at each server (pair after pair:
    # forty requests at once would queue in each server and seldom meet in time)
    results = [result for path in paths for result in web.all_at_once([Call("POST", path)] * 2)]

    # Then both are answered; the later participant works on, the earlier is replaced
    assert_all_answered(results)
    statuses = {}  # each assignment's participants' statuses, oldest first
    for assignment_id, status in Participant.objects.order_by("id").values_list("assignment_id", "status"):
        statuses.setdefault(assignment_id, []).append(status)
    assert len(statuses) == PAIRS
    assert {assignment: found for assignment, found in statuses.items() if found != ["replaced", "working"]} == {}
    replaced = Participant.objects.filter(status="replaced")
    assert all(participant.end_time is not None for participant in replaced)
    answered = sorted(body["participant"]["id"] for _, body in results)
    assert answered == sorted(Participant.objects.values_list("id", flat=True))

    # And the experiment was told of each replaced participant, once
    reassigned = Counter(recorded_calls("assignment_reassigned").values_list("details__participant_id", flat=True))
    assert reassigned == Counter(replaced.values_list("id", flat=True))


def test_worker_complete_sent_five_times_at_once_is_processed_once(web):
    # Given ten working participants
    participant_ids = create_participants(web, SUBMITTERS, prefix="done")

    # When each one's /worker_complete is sent five times at once, over both servers
    # (participant after participant, so that the five meet)
    calls = [Call("POST", "/worker_complete", {"participant_id": pk}, holding(pk)) for pk in participant_ids]
    results = [result for call in calls for result in web.all_at_once([call] * SUBMISSION_REPEATS)]

    # Then every request succeeds, and each participant is approved and paid once
    assert_all_answered(results)
    participants = Participant.objects.filter(pk__in=participant_ids)
    assert sorted((p.status, p.bonus, p.base_pay) for p in participants) == [("approved", BONUS, 1.0)] * SUBMITTERS
    assignments = set(participants.values_list("assignment_id", flat=True))
    for name in ("approve_hit", "bonus", "reward_bonus"):
        counts = Counter(recorded_calls(name).values_list("assignment_id", flat=True))
        not_once = {assignment: count for assignment, count in counts.items() if count != 1}
        assert set(counts) == assignments and not_once == {}, (name, not_once)
    # And the experiment's recruit() ran once per submission
    assert recorded_calls("recruit").count() == SUBMITTERS


def test_transmissions_sent_and_read_at_once_are_each_received_exactly_once(web):
    # Given a node that twenty-four others are connected to, each with an info to send
    network = Empty(max_size=SENDERS + 1)
    network.save()
    receiver = Node(network=network)
    receiver.save()
    infos = []
    for number in range(SENDERS):
        sender = Node(network=network)
        sender.save()
        sender.connect(whom=receiver)
        info = Info(origin=sender, contents=f"message {number}")
        info.save()
        infos.append(info)
    read_inbox = Call("GET", f"/node/{receiver.pk}/transmissions", {"direction": "incoming", "status": "pending"})

    # When, three times over, every sender transmits while twelve requests read the
    # receiver's pending transmissions (which receives them), all at once on both servers
    sent, received = [], []
    for _ in range(ROUNDS):
        calls = []
        for number, info in enumerate(infos):
            calls.append(Call("POST", f"/node/{info.origin_id}/transmit", {"what": info.pk, "to_whom": receiver.pk}))
            if number % 2:
                calls.append(read_inbox)
        results = web.all_at_once(calls)
        assert_all_answered(results)
        for call, (_, body) in zip(calls, results):
            if call is read_inbox:
                received += [t["id"] for t in body["transmissions"] if t["status"] == "received"]
            else:
                sent += [t["id"] for t in body["transmissions"]]
    # ... and one last read collects what arrived after the others
    status, body = web.call(read_inbox)
    assert status == 200, body
    received += [t["id"] for t in body["transmissions"] if t["status"] == "received"]

    # Then every transmission was received exactly once, by exactly one of the readers
    assert len(sent) == len(set(sent)) == SENDERS * ROUNDS
    rows = Transmission.objects.filter(destination=receiver)
    assert sorted(rows.values_list("id", flat=True)) == sorted(sent)
    assert [(row.status, row.receive_time is not None) for row in rows] == [("received", True)] * len(sent)
    duplicates = [pk for pk, count in Counter(received).items() if count > 1]
    assert not duplicates, duplicates
    assert sorted(received) == sorted(sent), set(sent) - set(received)
