"""Settling a submission (the worker's task after each one) runs a fixed number of statements."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Recruitment
from recruitment import tasks
from recruitment.models import Payment

pytestmark = pytest.mark.django_db

#: Statements the settling task may run at most for a Bartlett1932 submission (one unbounded
#: chain, the hotair recruiter, no budget caps, no bonus) on PostgreSQL, as counted by
#: benchmarks/load/profile_flow.py (its `settle` step; docs/deployment.md). The task runs once
#: per participant on the worker: a change that adds one should change this on purpose.
#: The participant; whether the experiment instance is still current; the payouts due; the
#: base payout (BEGIN, the row locked, marked sent with the moment of its paying call, COMMIT;
#: no budget lock without a cap); the recruitment (BEGIN, the settlement claimed in one
#: UPDATE ... RETURNING, whether an open network exists, one recruitment row, COMMIT).
SETTLE_BUDGET = 12


def submit(client, worker: str) -> int:
    """A participant who joins and finishes at once; their id (their task is not run)."""
    participant = client.post(f"/participant/{worker}/hit/{worker}/debug").json()["participant"]["id"]
    assert client.get("/worker_complete", {"participant_id": participant}).status_code == 200
    return participant


def settle_statements(participant_id: int) -> list[str]:
    """Run the settling task of this participant's submission in process; its SQL."""
    with CaptureQueriesContext(connection) as captured:
        tasks.settle_submission(participant_id)
    return [query["sql"] for query in captured.captured_queries]


@pytest.fixture
def bartlett(client, use_experiment):
    """Bartlett1932 launched with an unbounded chain, its experiment instance built by a first
    settled submission."""
    loaded = use_experiment("bartlett1932", num_participants=1_000_000)
    client.post("/launch")
    settle_statements(submit(client, "warm-up"))
    return loaded


def test_settling_a_submission_stays_within_its_statement_budget(client, bartlett):
    participant = submit(client, "measured")

    statements = settle_statements(participant)

    assert len(statements) <= SETTLE_BUDGET, "\n".join(statements)
    # What it settled: the base payment sent and one more place recruited.
    assert Payment.objects.get(participant_id=participant).state == Payment.State.SENT
    assert Recruitment.objects.exclude(recruiter_id="launch").count() == 1 + 2
