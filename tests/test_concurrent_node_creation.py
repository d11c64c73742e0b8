"""Real concurrent `POST /node/<participant_id>` requests never overfill a network.

The requests go to a live server (one thread and one database connection per request) on
PostgreSQL, released together by a barrier, so they really race for the same rows.
"""

from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from core.models import Network, Node, Participant, Vector
from core.networks import Chain
from tests.web_servers import Call, all_at_once, holding, request

EXPERIMENT = Path(__file__).resolve().parent / "experiments" / "ten_slots"
TOTAL_SLOTS = 10
NETWORK_COUNT = 4
CROWD = 40

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class LiveClient:
    """Plain HTTP to the live server, each request on a new connection (as separate browsers)."""

    def __init__(self, base_url: str):
        self.port = urlsplit(base_url).port

    def post(self, path: str, fields: dict | None = None) -> tuple[int | None, dict]:
        """POST a form; returns the status and the decoded JSON body."""
        return request(self.port, Call("POST", path, fields))

    def post_all_at_once(self, paths: list[str]) -> list[tuple[int | None, dict]]:
        """POST every path from its own thread and connection, all released by one barrier."""
        return all_at_once([self.port], [Call("POST", path, cookies=_holding_for(path)) for path in paths])


def _holding_for(path: str) -> dict:
    """The cookies of the browser that created the participant a `/node/<id>` path names."""
    return holding(int(path.rsplit("/", 1)[1]))


@pytest.fixture
def ten_slot_server(live_server, use_experiment):
    """A launched ten-slot experiment on the live server, and a client for it."""
    use_experiment(EXPERIMENT)
    client = LiveClient(live_server.url)
    status, body = client.post("/launch")
    assert status == 200, body
    networks = list(Network.objects.order_by("id"))
    assert len(networks) == NETWORK_COUNT
    assert sum(network.max_size for network in networks) == TOTAL_SLOTS
    return client


def create_participants(client: LiveClient, count: int, prefix: str) -> list[int]:
    """Create `count` working participants over HTTP; their ids."""
    ids = []
    for number in range(count):
        status, body = client.post(f"/participant/{prefix}w{number}/hit/{prefix}a{number}/debug")
        assert status == 200, body
        ids.append(body["participant"]["id"])
    return ids


def assert_no_server_errors(results) -> None:
    failures = [result for result in results if result[0] is None or result[0] >= 500]
    assert not failures, failures


def assert_refused_for_lack_of_network(status: int, body: dict) -> None:
    assert status == 403, body
    assert body["status"] == "error", body
    assert body["error_code"] == "no_network_available", body


def assert_networks_consistent() -> None:
    """No network holds more live nodes than its max_size, `full` says exactly whether it is
    at capacity, and each chain is one unbranched line."""
    for network in Network.objects.order_by("id"):
        live = list(Node.objects.filter(network=network, failed=False).order_by("id"))
        assert len(live) <= network.max_size, (network, len(live))
        assert network.full == (len(live) >= network.max_size), (network, len(live))
        if isinstance(network, Chain):
            links = sorted(Vector.objects.filter(network=network).values_list("origin_id", "destination_id"))
            ids = [node.pk for node in live]
            assert links == list(zip(ids, ids[1:])), (network, links)


@pytest.mark.parametrize("round_number", range(3))
def test_forty_participants_racing_for_ten_places_fill_them_exactly(ten_slot_server, round_number):
    # Given four networks with ten places in all, and forty working participants
    participant_ids = create_participants(ten_slot_server, CROWD, prefix=f"r{round_number}")

    # When all forty ask for a node at the same moment
    results = ten_slot_server.post_all_at_once([f"/node/{pk}" for pk in participant_ids])

    # Then exactly ten get one, the thirty others are told no network is left, nothing fails
    assert_no_server_errors(results)
    granted = [(participant_id, body) for participant_id, (status, body) in zip(participant_ids, results) if status == 200]
    refused = [(status, body) for status, body in results if status != 200]
    assert len(granted) == TOTAL_SLOTS, Counter(status for status, _ in results)
    assert len(refused) == CROWD - TOTAL_SLOTS
    for status, body in refused:
        assert_refused_for_lack_of_network(status, body)

    nodes = list(Node.objects.filter(participant__isnull=False))
    assert len(nodes) == TOTAL_SLOTS
    assert {(node.pk, node.participant_id, node.network_id) for node in nodes} == {
        (body["node"]["id"], participant_id, body["node"]["network_id"]) for participant_id, body in granted
    }
    assert_networks_consistent()
    assert all(network.full for network in Network.objects.all())
    assert Participant.objects.filter(status="working").count() == CROWD


def test_one_participant_asking_five_times_at_once_gets_at_most_one_node_per_network(ten_slot_server):
    # Given one working participant and four networks with room
    (participant_id,) = create_participants(ten_slot_server, 1, prefix="same")

    # When the same node request is sent five times at once
    results = ten_slot_server.post_all_at_once([f"/node/{participant_id}"] * 5)

    # Then the participant has at most one node per network, and every answer is a node or
    # the no-network refusal: as if the five requests had come one after another
    assert_no_server_errors(results)
    networks_joined = Counter(
        Node.objects.filter(participant_id=participant_id).values_list("network_id", flat=True)
    )
    assert networks_joined and max(networks_joined.values()) == 1, networks_joined
    granted = [body for status, body in results if status == 200]
    assert sorted(body["node"]["network_id"] for body in granted) == sorted(networks_joined)
    assert len(granted) == NETWORK_COUNT  # one per network; the fifth request finds none left
    for status, body in results:
        if status != 200:
            assert_refused_for_lack_of_network(status, body)
    assert_networks_consistent()


def test_one_long_chain_takes_a_crowd_without_deadlocks(live_server, use_experiment):
    """Joining one chain transmits and receives while the chain's row is locked; committing
    rows that refer to the network must not deadlock with the next joiner's lock."""
    use_experiment("bartlett1932", num_participants=30)
    client = LiveClient(live_server.url)
    assert client.post("/launch")[0] == 200
    participants = [
        client.post(f"/participant/w{n}/hit/a{n}/debug")[1]["participant"]["id"] for n in range(30)
    ]

    results = client.post_all_at_once([f"/node/{participant}" for participant in participants])

    assert Counter(status for status, _ in results) == Counter({200: 30}), [
        body for status, body in results if status != 200
    ]
    chain = Chain.objects.get()
    assert chain.full and chain.size() == 31
    assert Vector.objects.filter(network=chain).count() == 30
