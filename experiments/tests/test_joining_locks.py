"""While a participant joins a network, the rest of the experiment goes on.

Joining locks the participant's and the network's rows until the node is wired. Those locks
must not block the rows that merely refer to them: an info written in the same network by
another participant, or the joining participant's own question (PostgreSQL takes a KEY SHARE
lock on a referenced row, which a plain FOR UPDATE would make wait).
"""

import threading

import pytest
from django.db import connection, transaction

from core.models import Info, Node
from experiments import runtime
from experiments.binding import TRUSTED
from experiments.services.nodes import node_create_for_participant
from experiments.services.participants import participant_create
from experiments.services.questions import question_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 10


def new_participant(experiment, number: int):
    participant, _quorum = participant_create(
        experiment=experiment, worker_id=f"w{number}", hit_id="h", assignment_id=f"a{number}", mode="debug"
    )
    return participant


@pytest.fixture
def joining(use_experiment):
    """A participant in the middle of joining the Bartlett chain (its locks held), and a
    participant already in it; yields (joiner, earlier node); the join then completes."""
    use_experiment("bartlett1932")
    experiment = runtime.experiment()
    earlier = node_create_for_participant(
        experiment=experiment, participant_id=new_participant(experiment, 1).pk, caller=TRUSTED
    )
    joiner = new_participant(experiment, 2)
    wired, finish = threading.Event(), threading.Event()
    outcome = {}

    wire = experiment.add_node_to_network

    def wire_then_pause(node, network):
        wire(node=node, network=network)
        wired.set()
        finish.wait(WAIT_SECONDS)

    experiment.add_node_to_network = wire_then_pause

    def join():
        try:
            outcome["node"] = node_create_for_participant(
                experiment=experiment, participant_id=joiner.pk, caller=TRUSTED
            )
        except Exception as error:
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=join)
    thread.start()
    assert wired.wait(WAIT_SECONDS), outcome
    try:
        yield joiner, earlier
    finally:
        finish.set()
        thread.join(WAIT_SECONDS)
    assert "error" not in outcome, outcome["error"]
    assert Node.objects.filter(participant=joiner).count() == 1


def without_waiting(write):
    """Run `write` in a transaction that gives up at once on a lock held elsewhere."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '1s'")
        return write()


def test_another_participant_writes_an_info_in_the_network_being_joined(joining):
    _joiner, earlier = joining

    info = without_waiting(lambda: Info.objects.create(origin=earlier, network_id=earlier.network_id, contents="x"))

    assert info.pk is not None


def test_the_joining_participant_can_answer_a_question_meanwhile(joining):
    joiner, _earlier = joining

    question = without_waiting(
        lambda: question_create(
            experiment=runtime.experiment(),
            participant_id=joiner.pk,
            question="q",
            response="r",
            number=1,
            caller=TRUSTED,
        )
    )

    assert question.pk is not None
