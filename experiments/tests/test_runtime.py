"""Building the request's experiment: set-up happens once even when first requests race."""

import threading
from pathlib import Path

import pytest
from django.db import connection

from core.models import Network, Node, Participant
from core.nodes import Source
from experiments import runtime

PACKAGES = Path(__file__).parent / "experiments"


@pytest.mark.django_db(transaction=True)
def test_racing_first_requests_set_the_experiment_up_once(use_experiment):
    use_experiment("bartlett1932")
    barrier = threading.Barrier(6)
    errors = []

    def first_request():
        try:
            barrier.wait()
            runtime.experiment()
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_request) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Network.objects.count() == 1
    assert Node.objects.filter(type__in=["war_of_the_ghosts_source"]).count() == 1
    assert len(Source.objects.all()) == 1


@pytest.mark.django_db
def test_create_participant_override_with_the_older_signature_still_works(client, use_experiment):
    use_experiment(PACKAGES / "runtime_old_signature")

    response = client.post("/participant?assignmentId=A1&workerId=W1&hitId=H1&mode=debug&colour=blue")

    assert response.status_code == 200, response.content
    participant = Participant.objects.get(assignment_id="A1")
    assert participant.details == {"made_by": "old signature"}
    assert participant.entry_information == {"colour": "blue"}
