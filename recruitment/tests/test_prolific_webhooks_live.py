"""Prolific's webhooks against live servers on PostgreSQL: a delivery repeated at once by two
web processes is kept and applied once, and the fake Prolific's signed deliveries, sent to a
subscription this project set up, move participants on.

Two daphne processes serve the recording experiment (every hook it runs is a row); background
tasks run in the web process after its commit.
"""

import json
import threading
import time
import uuid
from types import SimpleNamespace

import pytest
import requests
from django.db import connection

from core.models import Notification, Participant, ParticipantStatus
from experiments.tests.api_support import TEST_EXPERIMENTS
from recruitment.models import WebhookEvent
from recruitment.prolific.client import ProlificClient
from recruitment.prolific.subscriptions import subscriptions_setup
from tests.fakes.prolific import FakeProlific, signature
from tests.polling import poll_until
from tests.web_servers import HOST, WebServers, free_port, server_environment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REPEATS = 5
WAIT_SECONDS = 30


class Config(dict):
    """The configuration keys subscriptions_setup reads."""

    def get(self, key, default=None):
        return super().get(key, default)


@pytest.fixture(scope="module")
def live(django_db_setup, django_db_blocker, tmp_path_factory):
    """A fake Prolific whose workspace sends its events to the first of two live servers,
    subscribed by `subscriptions_setup`; the servers hold the secret it returned."""
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.skip("several server processes need a shared PostgreSQL database")
        settings_dict = dict(connection.settings_dict)
    fake = FakeProlific().start()
    ports = [free_port(), free_port()]
    config = Config(prolific_api_token=fake.token, prolific_api_base_url=fake.base_url, prolific_workspace="My workspace")
    secret = subscriptions_setup(config, f"http://{HOST}:{ports[0]}/prolific-webhook")
    environment = server_environment(settings_dict=settings_dict, experiment=TEST_EXPERIMENTS / "recording")
    # Live mode: in debug mode the Prolific recruiter is swapped for its stand-in, which calls nothing.
    environment.update(
        mode="live", prolific_webhook_secret=secret, prolific_api_token=fake.token, prolific_api_base_url=fake.base_url
    )
    try:
        web = WebServers(count=2, environment=environment, log_dir=tmp_path_factory.mktemp("webhook-servers"), ports=ports)
    except BaseException:
        fake.stop()
        raise
    yield SimpleNamespace(fake=fake, web=web, secret=secret)
    web.stop()
    fake.stop()


@pytest.fixture
def servers(live):
    """The live set-up; afterwards, no server has logged a traceback."""
    live.web.new_tracebacks()
    yield live
    assert not live.web.new_tracebacks()


def prolific_participant(submission_id: str) -> Participant:
    """A working participant who came from Prolific with this submission."""
    participant = Participant(
        recruiter_id="prolific", worker_id=uuid.uuid4().hex[:24], assignment_id=submission_id, hit_id="study", mode="live"
    )
    participant.save()
    return participant


def hooks_for(participant, name: str) -> int:
    """How many times the recording experiment ran hook `name` for `participant`."""
    calls = Notification.objects.filter(event_type="hook", details__hook=name, details__participant=participant.pk)
    return calls.count()


def test_one_event_delivered_five_times_at_once_is_kept_and_applied_once(servers):
    participant = prolific_participant(uuid.uuid4().hex[:24])
    raw = json.dumps(
        {"event_type": "submission.status.change", "resource_id": participant.assignment_id, "status": "RETURNED"}
    ).encode()
    sent_at = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Prolific-Request-Signature": signature(servers.secret, sent_at, raw),
        "X-Prolific-Request-Timestamp": sent_at,
        "X-Event-ID": uuid.uuid4().hex,
        "X-Timestamp": sent_at,
    }
    barrier = threading.Barrier(REPEATS)
    answers = [None] * REPEATS

    def send(index):
        port = servers.web.ports[index % len(servers.web.ports)]
        barrier.wait(timeout=WAIT_SECONDS)
        answers[index] = requests.post(f"http://{HOST}:{port}/prolific-webhook", data=raw, headers=headers, timeout=60)

    threads = [threading.Thread(target=send, args=(index,)) for index in range(REPEATS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [answer.status_code for answer in answers] == [200] * REPEATS
    # Exactly one delivery wrote the event (and so sent the one task that applies it).
    assert sorted(answer.json()["duplicate"] for answer in answers) == [False] + [True] * (REPEATS - 1)
    assert WebhookEvent.objects.filter(event_id=headers["X-Event-ID"]).count() == 1
    poll_until(lambda: WebhookEvent.objects.get(event_id=headers["X-Event-ID"]).outcome != "pending",
               "the event applied", timeout=WAIT_SECONDS)  # fmt: skip
    assert WebhookEvent.objects.get(event_id=headers["X-Event-ID"]).outcome == WebhookEvent.Outcome.APPLIED
    assert Participant.objects.get(pk=participant.pk).status == ParticipantStatus.RETURNED
    assert hooks_for(participant, "assignment_returned") == 1


def test_a_subscribed_servers_participant_moves_on_when_prolific_says_so(servers):
    fake = servers.fake
    client = ProlificClient(fake.token, fake.base_url)
    project = client.create_project(fake.workspace_id, "Webhooks")
    study = client.create_study(_study_body(project["id"]))
    client.transition_study(study["id"], "PUBLISH")
    returning = fake.start_submission(study["id"])
    timing_out = fake.start_submission(study["id"])
    assert fake.wait_deliveries(WAIT_SECONDS)
    first = prolific_participant(returning["id"])
    second = prolific_participant(timing_out["id"])

    fake.return_submission(returning["id"])
    fake.time_out_submission(timing_out["id"])
    assert fake.wait_deliveries(WAIT_SECONDS)

    poll_until(lambda: Participant.objects.get(pk=second.pk).status == ParticipantStatus.ABANDONED,
               "the second participant abandoned", timeout=WAIT_SECONDS)  # fmt: skip
    assert Participant.objects.get(pk=first.pk).status == ParticipantStatus.RETURNED
    assert hooks_for(first, "assignment_returned") == 1
    assert hooks_for(second, "assignment_abandoned") == 1
    assert {code for _, code in fake.deliveries} == {200}
    # The study's own status changes arrived too (no experiment uses this study: ignored).
    assert WebhookEvent.objects.filter(event_type="study.status.change", resource_id=study["id"]).exists()


def test_a_finished_submission_is_processed_and_approved_once_when_prolific_says_it_awaits_review(servers):
    fake = servers.fake
    client = ProlificClient(fake.token, fake.base_url)
    project = client.create_project(fake.workspace_id, "Webhooks")
    study = client.create_study(_study_body(project["id"]))
    client.transition_study(study["id"], "PUBLISH")
    submission = fake.start_submission(study["id"])
    assert fake.wait_deliveries(WAIT_SECONDS)
    participant = prolific_participant(submission["id"])

    fake.complete_submission(submission["id"], "DONE1234")
    assert fake.wait_deliveries(WAIT_SECONDS)
    fake.redeliver(next(e.id for e in fake.events.values() if e.body.get("status") == "AWAITING REVIEW"))

    poll_until(lambda: submission["id"] in fake.approvals, "the submission approved on Prolific", timeout=WAIT_SECONDS)
    poll_until(lambda: Participant.objects.get(pk=participant.pk).status == ParticipantStatus.APPROVED,
               "the participant approved", timeout=WAIT_SECONDS)  # fmt: skip
    assert hooks_for(participant, "submission_successful") == 1
    assert fake.approvals.count(submission["id"]) == 1


def _study_body(project_id):
    return {
        "name": "Webhook study",
        "description": "Read a story, then write it down.",
        "external_study_url": "https://example.org/ad?PROLIFIC_PID={{%PROLIFIC_PID%}}",
        "prolific_id_option": "url_parameters",
        "completion_option": "url",
        "completion_codes": [
            {"code": "DONE1234", "code_type": "COMPLETED", "actor": "participant", "actions": [{"action": "MANUALLY_REVIEW"}]}
        ],
        "estimated_completion_time": 5,
        "reward": 150,
        "total_available_places": 3,
        "project": project_id,
    }
