"""Failing rows by hand (Dallinger's `dashboard_fail`): cascade, message, and bad data refused."""

import pytest

from core.models import Info, Node, Question
from core.nodes import Agent
from experiments.experiment import Experiment
from experiments.services.failures import NOTHING_FAILED, records_fail

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(make_participant, make_node):
    participant = make_participant()
    node = make_node(Agent, participant=participant)
    info = Info.objects.create(origin=node, network=node.network, contents="x")
    question = Question.objects.create(participant=participant, number=1, question="q", response="r")
    return participant, node, info, question


def test_the_rows_and_their_cascades_are_failed_with_dallingers_message(rows):
    participant, node, info, question = rows
    other = Node.objects.create(network=node.network)

    message = records_fail(data=[
        {"id": participant.pk, "object_type": "Participant"},
        {"id": str(other.pk), "object_type": "Node"},
    ])  # fmt: skip

    assert message == "Failed 1 Nodes, 1 Participants"
    for row in (participant, node, info, question, other):
        row.refresh_from_db()
        assert row.failed, row
    assert participant.status == "working"
    assert node.failed_reason == f"->Participant{participant.pk}"


def test_unknown_types_missing_and_failed_rows_are_skipped(rows):
    _, node, info, _ = rows
    info.fail()

    message = records_fail(data=[
        {"id": info.pk, "object_type": "Info"},
        {"id": 999_999, "object_type": "Node"},
        {"id": node.pk, "object_type": "Payment"},
        {"id": node.pk},
    ])  # fmt: skip

    assert message == NOTHING_FAILED == "No nodes found to fail"
    node.refresh_from_db()
    assert not node.failed


def test_a_row_named_twice_is_failed_once(rows):
    _, node, _, _ = rows

    assert records_fail(data=[{"id": node.pk, "object_type": "Node"}] * 2) == "Failed 1 Nodes"


@pytest.mark.parametrize(
    "data",
    [
        {"id": 1, "object_type": "Node"},
        ["1"],
        [{"id": "x", "object_type": "Node"}],
        [{"id": 1.5, "object_type": "Node"}],
        [{"id": True, "object_type": "Node"}],
        [{"id": None, "object_type": "Node"}],
    ],
)
def test_bad_data_is_refused_and_nothing_is_failed(rows, data):
    _, node, _, _ = rows

    with pytest.raises(ValueError):
        records_fail(data=[{"id": node.pk, "object_type": "Node"}, *data] if isinstance(data, list) else data)

    node.refresh_from_db()
    assert not node.failed


def test_the_experiments_dashboard_fail_uses_it(rows):
    _, node, _, _ = rows

    assert Experiment().dashboard_fail([{"id": node.pk, "object_type": "Node"}]) == {"message": "Failed 1 Nodes"}
