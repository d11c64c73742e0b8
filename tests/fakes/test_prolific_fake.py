"""The fake Prolific keeps Prolific's rules and signs its webhook deliveries as Prolific does."""

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from recruitment.prolific.client import ProlificClient, ProlificRefused

REASON = "The written answer does not describe the story that was shown, and the attention check was failed. " * 2


@pytest.fixture
def client(fake_prolific):
    return ProlificClient(fake_prolific.token, fake_prolific.base_url, sleep=lambda seconds: None)


@pytest.fixture
def study(client, fake_prolific):
    project = client.create_project(fake_prolific.workspace_id, "Memory")
    body = {
        "name": "Memory",
        "description": "Remember a story.",
        "external_study_url": "https://example.org/ad",
        "prolific_id_option": "url_parameters",
        "completion_option": "url",
        "completion_codes": [{"code": "DONE", "code_type": "COMPLETED", "actions": []}],
        "estimated_completion_time": 5,
        "reward": 100,
        "total_available_places": 1,
        "project": project["id"],
    }
    study = client.create_study(body)
    client.transition_study(study["id"], "PUBLISH")
    return study


@pytest.fixture
def receiver():
    """A local server that records the webhook requests it gets and answers 200."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), raw))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    server.received = received
    server.url = f"http://127.0.0.1:{server.server_address[1]}/prolific-webhook"
    yield server
    server.shutdown()
    server.server_close()


def subscribe(client, fake_prolific, url, event_type="submission.status.change"):
    secret = client.create_secret(fake_prolific.workspace_id)["value"]
    subscription, hook_secret = client.create_subscription(fake_prolific.workspace_id, event_type, url)
    client.confirm_subscription(subscription["id"], hook_secret)
    return secret


def test_places_only_go_up_and_a_published_study_keeps_its_other_fields(client, study):
    client.update_study(study["id"], total_available_places=3)
    with pytest.raises(ProlificRefused, match="can only go up"):
        client.update_study(study["id"], total_available_places=2)
    with pytest.raises(ProlificRefused, match="reward: Cannot be changed"):
        client.update_study(study["id"], reward=500)
    with pytest.raises(ProlificRefused, match="Only unpublished"):
        client.delete_study(study["id"])


def test_a_full_study_goes_to_review_and_comes_back_when_places_are_added(client, fake_prolific, study):
    submission = fake_prolific.start_submission(study["id"])
    with pytest.raises(ValueError, match="no free place"):
        fake_prolific.start_submission(study["id"])
    fake_prolific.complete_submission(submission["id"], "DONE")
    assert client.get_study(study["id"])["status"] == "AWAITING REVIEW"
    assert client.update_study(study["id"], total_available_places=2)["status"] == "ACTIVE"


def test_a_stopped_study_cannot_restart(client, study):
    assert client.transition_study(study["id"], "STOP")["status"] == "COMPLETED"
    with pytest.raises(ProlificRefused):
        client.transition_study(study["id"], "START")


def test_approval_repeats_are_ignored_but_counted(client, fake_prolific, study):
    submission = fake_prolific.start_submission(study["id"])
    with pytest.raises(ProlificRefused, match="ACTIVE submission cannot be approved"):
        client.transition_submission(submission["id"], "APPROVE")
    fake_prolific.complete_submission(submission["id"], "DONE")
    client.transition_submission(submission["id"], "APPROVE")
    assert client.transition_submission(submission["id"], "APPROVE")["status"] == "APPROVED"
    assert fake_prolific.approvals == [submission["id"]] * 3


def test_a_rejection_needs_a_long_message_and_a_category(client, fake_prolific, study):
    submission = fake_prolific.start_submission(study["id"])
    fake_prolific.complete_submission(submission["id"], "DONE")
    with pytest.raises(ProlificRefused) as refusal:
        client.transition_submission(submission["id"], "REJECT", message="too short", rejection_category="NOPE")
    assert "message:" in str(refusal.value) and "rejection_category:" in str(refusal.value)
    client.transition_submission(submission["id"], "REJECT", message=REASON, rejection_category="FAILED_CHECK")
    assert client.get_study(study["id"])["status"] == "PAUSED"  # a full study under review pauses


def test_bonuses_name_strangers_and_each_pay_call_pays(client, fake_prolific, study):
    submission = fake_prolific.start_submission(study["id"])
    with pytest.raises(ProlificRefused, match="Not in this study: someone-else"):
        client.bonus_setup(study["id"], f"{submission['participant_id']},1.00\nsomeone-else,2.00")
    setup = client.bonus_setup(study["id"], f"{submission['id']},1.00")
    client.bonus_pay(setup["id"])
    client.bonus_pay(setup["id"])
    assert [p for _, p, _ in fake_prolific.bonus_payments] == [submission["participant_id"]] * 2


def test_status_changes_are_delivered_signed(client, fake_prolific, study, receiver):
    secret = subscribe(client, fake_prolific, receiver.url)
    submission = fake_prolific.start_submission(study["id"])
    fake_prolific.complete_submission(submission["id"], "DONE")
    assert fake_prolific.wait_deliveries(5)

    bodies = [json.loads(raw) for _, raw in receiver.received]
    assert [b["status"] for b in bodies] == ["ACTIVE", "AWAITING REVIEW"]
    assert bodies[0] == {
        "resource_id": submission["id"],
        "event_type": "submission.status.change",
        "participant_id": submission["participant_id"],
        "status": "ACTIVE",
    }
    for headers, raw in receiver.received:
        signed = headers["X-Prolific-Request-Timestamp"].encode() + raw
        expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
        assert headers["X-Prolific-Request-Signature"] == expected
    assert len({headers["X-Event-ID"] for headers, _ in receiver.received}) == 2
    assert [code for _, code in fake_prolific.deliveries] == [200, 200]


def test_held_events_are_redelivered_with_the_same_id(client, fake_prolific, study, receiver):
    subscribe(client, fake_prolific, receiver.url)
    fake_prolific.auto_deliver = False
    submission = fake_prolific.start_submission(study["id"])
    assert receiver.received == [] and len(fake_prolific.pending_events) == 1

    (event,) = fake_prolific.pending_events
    assert fake_prolific.deliver_pending() == [200]
    fake_prolific.redeliver(event.id)
    assert fake_prolific.deliver(event, times=3, concurrently=True) == [200, 200, 200]
    ids = [headers["X-Event-ID"] for headers, _ in receiver.received]
    assert ids == [event.id] * 5
    assert json.loads(receiver.received[0][1])["resource_id"] == submission["id"]


def test_forged_events_carry_a_wrong_signature(client, fake_prolific, receiver):
    subscribe(client, fake_prolific, receiver.url)
    fake_prolific.send_event("submission.status.change", {"resource_id": "x", "status": "APPROVED"}, secret="forged")
    headers, raw = receiver.received[0]
    real = fake_prolific.secrets[fake_prolific.workspace_id]["value"]
    signed = headers["X-Prolific-Request-Timestamp"].encode() + raw
    assert (
        headers["X-Prolific-Request-Signature"]
        != base64.b64encode(hmac.new(real.encode(), signed, hashlib.sha256).digest()).decode()
    )


def test_an_unconfirmed_subscription_gets_nothing(client, fake_prolific, study, receiver):
    client.create_secret(fake_prolific.workspace_id)
    client.create_subscription(fake_prolific.workspace_id, "submission.status.change", receiver.url)
    fake_prolific.start_submission(study["id"])
    assert fake_prolific.wait_deliveries(5)
    assert receiver.received == [] and fake_prolific.deliveries == []
