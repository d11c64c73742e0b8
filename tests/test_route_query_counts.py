"""The participant flow's routes run a fixed number of queries, whatever the size of the network."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Info, Node, Participant, Transmission, Vector
from core.networks import Chain

pytestmark = pytest.mark.django_db

STEPS = ("participant", "node", "received_infos", "info", "infos", "question", "worker_complete")


def grow_chain(size: int) -> None:
    """Put `size` finished participants' agents at the end of the (only) chain, in bulk."""
    chain = Chain.objects.get()
    chain.max_size = Node.objects.filter(network=chain).count() + size + 10  # room left: never fills here
    chain.save()
    previous = Node.objects.filter(network=chain).order_by("id").last()
    participants = Participant.objects.bulk_create(
        Participant(worker_id=f"bulk{n}", assignment_id=f"bulk{n}", unique_id=f"bulk{n}:bulk{n}", hit_id="h",
                    mode="debug", recruiter_id="hotair", status="approved")
        for n in range(size)
    )  # fmt: skip
    nodes = Node.objects.bulk_create(Node(network=chain, participant=p, type="node") for p in participants)
    chain_nodes = [previous, *nodes]
    vectors = Vector.objects.bulk_create(
        Vector(origin=origin, destination=destination, network=chain)
        for origin, destination in zip(chain_nodes, chain_nodes[1:])
    )
    infos = Info.objects.bulk_create(Info(origin=node, network=chain, contents="story", type="info") for node in nodes)
    Transmission.objects.bulk_create(
        Transmission(vector=vector, info=info, origin=vector.origin, destination=vector.destination,
                     network=chain, status="received")
        for vector, info in zip(vectors[1:], infos)
    )  # fmt: skip


def queries_per_step(client, worker: str) -> dict:
    """Run one participant through the Bartlett flow; the number of queries of each request."""
    counts = {}

    def run(step, method, path, data=None):
        with CaptureQueriesContext(connection) as captured:
            response = getattr(client, method)(path, data or {})
        assert response.status_code == 200, (step, response.content[:300])
        counts[step] = len(captured)
        return response.json()

    participant = run("participant", "post", f"/participant/{worker}/hit/{worker}/debug")["participant"]["id"]
    node = run("node", "post", f"/node/{participant}")["node"]["id"]
    run("received_infos", "get", f"/node/{node}/received_infos")
    run("info", "post", f"/info/{node}", {"contents": "my retelling"})
    run("infos", "get", f"/node/{node}/infos")
    run("question", "post", f"/question/{participant}", {"question": "questionnaire", "response": "{}", "number": 1})
    run("worker_complete", "get", "/worker_complete", {"participant_id": participant})
    return counts


@pytest.fixture
def chain_of_ten(client, use_experiment):
    """Bartlett1932 launched, its experiment instance built, ten finished participants in its chain."""
    use_experiment("bartlett1932", num_participants=1000)
    client.post("/launch")
    queries_per_step(client, "warm-up")  # builds this thread's experiment instance
    grow_chain(10)


def test_each_route_of_the_flow_runs_the_same_queries_for_10_or_500_nodes(client, chain_of_ten):
    small = queries_per_step(client, "first")

    grow_chain(490)
    large = queries_per_step(client, "second")

    assert set(small) == set(STEPS)
    assert large == small
    assert Node.objects.filter(network__type="chain").count() == 1 + 1 + 10 + 1 + 490 + 1


#: Statements each request of the flow may run at most (Bartlett1932, one chain, on
#: PostgreSQL), as counted by the load benchmark's profile (benchmarks/results/profile-flow.md;
#: the budget table with where each statement comes from is in docs/deployment.md). Each
#: statement is a round trip to the database and web CPU in every request: a change that adds
#: one to a route should change this on purpose.
STATEMENT_BUDGET = {
    "participant": 6,  # experiment check, BEGIN, both advisory locks, the worker's rows, INSERT, COMMIT
    "node": 18,
    "received_infos": 3,
    "info": 5,  # the node is read with its participant, whose browser alone may write there
    "infos": 3,
    "question": 3,  # one INSERT, no transaction around it
    "worker_complete": 8,  # two to write what the submission owes to the payment ledger
}


def test_each_route_of_the_flow_stays_within_its_statement_budget(client, chain_of_ten):
    counts = queries_per_step(client, "measured")

    over = {step: (count, STATEMENT_BUDGET[step]) for step, count in counts.items() if count > STATEMENT_BUDGET[step]}
    assert not over, f"statements (run, budget): {over}"
