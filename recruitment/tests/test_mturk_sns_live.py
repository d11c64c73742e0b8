"""/mturk-sns-listener against live servers on PostgreSQL: one SNS message delivered several
times at once to two web processes is kept and acted on once, and a subscription is confirmed.

Two daphne processes serve the recording experiment (every hook it runs is a row); background
tasks run in the web process after its commit. They reach "SNS" through a local HTTPS proxy
(tests/fakes/sns.py), so the certificate and SubscribeURL fetches are the real code over TLS.
"""

import json
import threading
import uuid
from types import SimpleNamespace

import pytest
import requests
from django.db import connection

from core.models import Notification, Participant
from experiments.tests.api_support import TEST_EXPERIMENTS
from recruitment.models import SnsMessage
from recruitment.tests.sns_support import EXPERIMENT_ID, URL
from tests.fakes.sns import CERT_URL, FakeSns, SnsHost, mturk_event
from tests.polling import poll_until
from tests.web_servers import HOST, WebServers, server_environment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REPEATS = 6
WAIT_SECONDS = 30


@pytest.fixture(scope="module")
def live(django_db_setup, django_db_blocker, tmp_path_factory):
    """Two live servers of the recording experiment (id EXPERIMENT_ID) and the SNS host they reach."""
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.skip("several server processes need a shared PostgreSQL database")
        settings_dict = dict(connection.settings_dict)
    fake = FakeSns()
    directory = tmp_path_factory.mktemp("sns")
    host = SnsHost(fake, directory)
    environment = server_environment(settings_dict=settings_dict, experiment=TEST_EXPERIMENTS / "recording")
    environment.update(id=EXPERIMENT_ID, **host.environment())
    try:
        web = WebServers(count=2, environment=environment, log_dir=tmp_path_factory.mktemp("sns-servers"))
    except BaseException:
        host.stop()
        raise
    yield SimpleNamespace(fake=fake, host=host, web=web)
    web.stop()
    host.stop()


@pytest.fixture
def servers(live):
    """The live set-up; afterwards, no server has logged a traceback."""
    live.web.new_tracebacks()
    yield live
    assert not live.web.new_tracebacks()


def hooks_for(participant, name: str) -> int:
    """How many times the recording experiment ran hook `name` for `participant`."""
    return Notification.objects.filter(
        event_type="hook", details__hook=name, details__participant=participant.pk
    ).count()


def deliver_at_once(servers, message: dict, repeats: int) -> list:
    """POST `message` `repeats` times at once, alternating between the servers; the answers."""
    raw = json.dumps(message).encode()
    barrier = threading.Barrier(repeats)
    answers = [None] * repeats

    def send(index):
        port = servers.web.ports[index % len(servers.web.ports)]
        barrier.wait(timeout=WAIT_SECONDS)
        answers[index] = requests.post(
            f"http://{HOST}:{port}{URL}", data=raw, headers={"Content-Type": "text/plain; charset=UTF-8"}, timeout=60
        )

    threads = [threading.Thread(target=send, args=(index,)) for index in range(repeats)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_one_submission_delivered_six_times_at_once_is_processed_once(servers):
    participant = Participant(
        recruiter_id="hotair",
        worker_id=uuid.uuid4().hex[:20],
        assignment_id=uuid.uuid4().hex[:30],
        hit_id="3HIT",
        mode="debug",
    )
    participant.save()
    message = servers.fake.notification(EXPERIMENT_ID, [mturk_event("AssignmentSubmitted", participant.assignment_id)])

    answers = deliver_at_once(servers, message, REPEATS)

    assert [answer.status_code for answer in answers] == [200] * REPEATS, [a.content[:300] for a in answers]
    # Exactly one delivery kept the message (and so recorded the event and sent its one task).
    assert sorted(answer.json()["duplicate"] for answer in answers) == [False] + [True] * (REPEATS - 1)
    assert SnsMessage.objects.filter(message_id=message["MessageId"]).count() == 1
    poll_until(lambda: Participant.objects.get(pk=participant.pk).status == "approved", "the participant approved",
               timeout=WAIT_SECONDS)  # fmt: skip
    assert (
        Notification.objects.filter(event_type="AssignmentSubmitted", assignment_id=participant.assignment_id).count()
        == 1
    )
    assert hooks_for(participant, "data_check") == 1
    assert hooks_for(participant, "submission_successful") == 1
    # The certificate came from the SNS host over HTTPS, at most once per server process.
    assert 1 <= servers.host.requests.count(CERT_URL) <= len(servers.web.ports)


def test_a_subscription_is_confirmed_by_a_server_through_snss_https_host(servers):
    message = servers.fake.subscription_confirmation(EXPERIMENT_ID)

    (answer,) = deliver_at_once(servers, message, 1)

    assert answer.status_code == 200, answer.content[:300]
    poll_until(lambda: SnsMessage.objects.get(message_id=message["MessageId"]).confirmed_at is not None,
               "the subscription confirmed", timeout=WAIT_SECONDS)  # fmt: skip
    assert servers.host.requests.count(message["SubscribeURL"]) == 1


def test_a_forged_message_changes_nothing_on_a_live_server(servers):
    participant = Participant(
        recruiter_id="hotair",
        worker_id=uuid.uuid4().hex[:20],
        assignment_id=uuid.uuid4().hex[:30],
        hit_id="3HIT",
        mode="debug",
    )
    participant.save()
    genuine = servers.fake.notification(EXPERIMENT_ID, [mturk_event("AssignmentReturned", participant.assignment_id)])
    forged = {
        **genuine,
        "Message": json.dumps({"Events": [mturk_event("AssignmentSubmitted", participant.assignment_id)]}),
    }

    (answer,) = deliver_at_once(servers, forged, 1)

    assert answer.status_code == 403
    assert answer.json()["error_code"] == "bad_signature"
    assert not SnsMessage.objects.filter(message_id=genuine["MessageId"]).exists()
    assert Participant.objects.get(pk=participant.pk).status == "working"
