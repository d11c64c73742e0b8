"""Prolific's webhooks: only signed, recent deliveries are kept, each event once, and each is
applied to its submission or study through the experiment's hooks, older ones dropped."""

import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest
from django.test import TestCase

from core.models import Participant, ParticipantStatus
from experiments.tests.api_support import TEST_EXPERIMENTS, hook_names
from recruitment.base import RECRUITERS, HotAirRecruiter
from recruitment.models import Payment, ProlificStudy, WebhookEvent
from recruitment.payments import ledger
from recruitment.prolific import webhooks
from recruitment.prolific.webhooks import TIMESTAMP_TOLERANCE_SECONDS, signature_valid

pytestmark = pytest.mark.django_db

SECRET = "workspace-signing-secret-Zq9"
URL = "/prolific-webhook"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Prolific's signature, written out from its documentation."""
    return base64.b64encode(hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()).decode()


def deliver(
    client, body, *, event_id=None, secret=SECRET, sent_at=None, sent_offset=0, event_time=None, raw=None, drop=()
):
    """POST one delivery as Prolific sends it (compact JSON, signed), sent `sent_offset` seconds
    from now (or at `sent_at`); `drop` leaves headers out."""
    raw = raw if raw is not None else json.dumps(body, separators=(",", ":")).encode()
    sent_at = str(int(time.time()) + sent_offset if sent_at is None else sent_at)
    headers = {
        "X-Prolific-Request-Signature": sign(secret, sent_at, raw),
        "X-Prolific-Request-Timestamp": sent_at,
        "X-Event-ID": event_id or uuid.uuid4().hex,
        "X-Timestamp": str(int(time.time()) if event_time is None else event_time),
    }
    headers = {name: value for name, value in headers.items() if name not in drop}
    # The test's transaction never commits: run what the delivery sends after its commit.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(URL, raw, content_type="application/json", headers=headers)


def submission_event(submission_id, status, participant_id="pid"):
    return {
        "event_type": "submission.status.change",
        "resource_id": submission_id,
        "participant_id": participant_id,
        "status": status,
    }


class StandInProlific(HotAirRecruiter):
    """Stands for the Prolific recruiter: pays in the database only, and counts approvals."""

    nickname = "prolific"
    approvals = []

    def approve_hit(self, assignment_id):
        self.approvals.append(assignment_id)
        return True


@pytest.fixture
def recording(db, use_experiment):
    """The test experiment that writes down every hook called (experiments/tests/experiments)."""
    return lambda **config: use_experiment(TEST_EXPERIMENTS / "recording", **config)


@pytest.fixture
def experiment(recording, monkeypatch):
    """The recording experiment with a webhook secret, Prolific participants paid by a stand-in."""
    monkeypatch.setitem(RECRUITERS, "prolific", StandInProlific)
    StandInProlific.approvals = []
    return recording(prolific_webhook_secret=SECRET)


@pytest.fixture
def participant(make_participant, experiment):
    """A working participant who came from Prolific: their assignment is the submission id."""
    return make_participant(recruiter_id="prolific", assignment_id="5f1a" + uuid.uuid4().hex[:20], mode="live")


def reloaded(participant):
    return Participant.objects.get(pk=participant.pk)


# The signature


def test_a_signature_over_the_raw_body_or_its_reserialised_form_is_valid():
    raw = b'{"event_type":"study.status.change","resource_id":"abc","status":"ACTIVE"}'
    now = 1_800_000_000
    stamp = str(now)
    reserialised = json.dumps(json.loads(raw)).encode()
    assert reserialised != raw

    assert signature_valid(SECRET, stamp, raw, sign(SECRET, stamp, raw), now=now)
    assert signature_valid(SECRET, stamp, raw, sign(SECRET, stamp, reserialised), now=now)
    assert not signature_valid("another-secret", stamp, raw, sign("another-secret-x", stamp, raw), now=now)
    assert not signature_valid(SECRET, stamp, raw, sign("wrong", stamp, raw), now=now)
    assert not signature_valid(SECRET, stamp, raw.replace(b"ACTIVE", b"PAUSED"), sign(SECRET, stamp, raw), now=now)
    assert not signature_valid(SECRET, str(now + 1), raw, sign(SECRET, stamp, raw), now=now)


@pytest.mark.parametrize(
    "offset, valid",
    [(0, True), (TIMESTAMP_TOLERANCE_SECONDS, True), (-TIMESTAMP_TOLERANCE_SECONDS, True),
     (TIMESTAMP_TOLERANCE_SECONDS + 1, False), (-TIMESTAMP_TOLERANCE_SECONDS - 1, False)],
)  # fmt: skip
def test_a_signature_is_accepted_only_within_the_tolerance(offset, valid):
    now, raw = 1_800_000_000, b"{}"
    stamp = str(now + offset)
    assert signature_valid(SECRET, stamp, raw, sign(SECRET, stamp, raw), now=now) is valid


def test_nothing_is_valid_without_a_secret_a_timestamp_or_a_signature():
    stamp, raw = str(int(time.time())), b"{}"
    assert not signature_valid("", stamp, raw, sign("", stamp, raw))
    assert not signature_valid(SECRET, "", raw, sign(SECRET, "", raw))
    assert not signature_valid(SECRET, "soon", raw, sign(SECRET, "soon", raw))
    assert not signature_valid(SECRET, stamp, raw, "")


# Refused deliveries


REFUSALS = {
    "wrong secret": {"secret": "not-the-secret"},
    "stale timestamp": {"sent_offset": -TIMESTAMP_TOLERANCE_SECONDS - 60},
    "future timestamp": {"sent_offset": TIMESTAMP_TOLERANCE_SECONDS + 60},
    "no signature": {"drop": ("X-Prolific-Request-Signature",)},
    "no timestamp": {"drop": ("X-Prolific-Request-Timestamp",)},
}


@pytest.mark.parametrize("case", REFUSALS)
def test_an_unsigned_or_out_of_date_delivery_is_refused_and_changes_nothing(client, participant, case):
    response = deliver(client, submission_event(participant.assignment_id, "RETURNED"), **REFUSALS[case])

    assert response.status_code == 401
    assert response.json()["status"] == "error"
    assert response.json()["error_code"] == "bad_signature"
    assert not WebhookEvent.objects.exists()
    assert reloaded(participant).status == ParticipantStatus.WORKING


def test_a_tampered_body_is_refused(client, participant):
    signed = json.dumps(submission_event(participant.assignment_id, "APPROVED")).encode()
    stamp = str(int(time.time()))
    headers = {
        "X-Prolific-Request-Signature": sign(SECRET, stamp, signed),
        "X-Prolific-Request-Timestamp": stamp,
        "X-Event-ID": "evt-1",
    }
    tampered = signed.replace(b"APPROVED", b"RETURNED")

    response = client.post(URL, tampered, content_type="application/json", headers=headers)

    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()
    assert reloaded(participant).status == ParticipantStatus.WORKING


@pytest.mark.parametrize(
    "raw, drop, code",
    [(b"{not json", (), "malformed_body"), (b"[1, 2]", (), "malformed_body"),
     (b'{"event_type": "submission.status.change"}', (), "malformed_body"),
     (b'{"event_type": "study.status.change", "resource_id": "s1"}', ("X-Event-ID",), "missing_event_id")],
)  # fmt: skip
def test_a_signed_but_malformed_delivery_is_a_bad_request(client, experiment, raw, drop, code):
    response = deliver(client, None, raw=raw, drop=drop)

    assert response.status_code == 400
    assert response.json() == {"status": "error", "message": response.json()["message"], "error_code": code}
    assert not WebhookEvent.objects.exists()


def test_without_a_secret_the_route_says_webhooks_are_not_set_up(client, recording):
    recording()
    response = deliver(client, {"event_type": "study.status.change", "resource_id": "s1", "status": "ACTIVE"})

    assert response.status_code == 503
    assert "not set up" in response.json()["message"]
    assert not WebhookEvent.objects.exists()


def test_only_post_is_allowed(client, experiment):
    response = client.get(URL)

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["status"] == "error"


def test_neither_the_secret_nor_the_signature_is_logged(client, participant, caplog):
    caplog.set_level("DEBUG")
    deliver(client, submission_event(participant.assignment_id, "RETURNED"), secret="forged")
    deliver(client, submission_event(participant.assignment_id, "RETURNED"))

    assert SECRET not in caplog.text
    assert "X-Prolific-Request-Signature" not in caplog.text


# Recording each event once


def test_a_redelivered_event_changes_nothing(client, participant):
    body = submission_event(participant.assignment_id, "RETURNED")

    first = deliver(client, body, event_id="evt-returned")
    again = deliver(client, body, event_id="evt-returned")

    assert (first.status_code, again.status_code) == (200, 200)
    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    assert WebhookEvent.objects.get().outcome == WebhookEvent.Outcome.APPLIED
    assert reloaded(participant).status == ParticipantStatus.RETURNED
    assert hook_names().count("assignment_returned") == 1


def test_an_event_older_than_one_applied_is_stale(client, participant):
    deliver(client, submission_event(participant.assignment_id, "RETURNED"), event_id="late", event_time=10)
    deliver(client, submission_event(participant.assignment_id, "AWAITING REVIEW"), event_id="early", event_time=5)

    assert WebhookEvent.objects.get(event_id="late").outcome == WebhookEvent.Outcome.APPLIED
    assert WebhookEvent.objects.get(event_id="early").outcome == WebhookEvent.Outcome.STALE
    assert reloaded(participant).status == ParticipantStatus.RETURNED
    assert "data_check" not in hook_names()


def test_an_event_is_stored_with_its_ids_and_times(client, participant):
    deliver(client, submission_event(participant.assignment_id, "RETURNED"), event_id="evt-9", event_time=1234)

    event = WebhookEvent.objects.get()
    assert (event.source, event.event_id, event.event_type) == ("prolific", "evt-9", "submission.status.change")
    assert (event.resource_id, event.timestamp) == (participant.assignment_id, 1234)
    assert event.body["status"] == "RETURNED"
    assert event.processed_at is not None


def test_without_x_timestamp_the_request_timestamp_orders_the_event(client, participant):
    sent_at = int(time.time())
    deliver(client, submission_event(participant.assignment_id, "RETURNED"), sent_at=sent_at, drop=("X-Timestamp",))

    assert WebhookEvent.objects.get().timestamp == sent_at


# Submission status changes


def test_awaiting_review_processes_the_submission_through_the_hooks(client, participant):
    deliver(client, submission_event(participant.assignment_id, "AWAITING REVIEW"))

    assert reloaded(participant).status == ParticipantStatus.APPROVED
    assert [name for name in hook_names() if name != "recruit"] == [
        "data_check", "attention_check", "bonus", "submission_successful"
    ]  # fmt: skip
    base = Payment.objects.get(key=ledger.payment_key(participant, Payment.Kind.BASE))
    assert base.state == Payment.State.SENT
    assert StandInProlific.approvals == [participant.assignment_id]


def test_awaiting_review_again_settles_a_processed_submission_whose_payment_waits(client, participant):
    participant.status = ParticipantStatus.APPROVED
    participant.base_pay = 1.5
    participant.save()
    ledger.settlement_intend(participant=participant, recruit="none", bonus_reason=None)

    deliver(client, submission_event(participant.assignment_id, "AWAITING REVIEW"))

    assert Payment.objects.get(key=ledger.payment_key(participant, Payment.Kind.BASE)).state == Payment.State.SENT
    assert StandInProlific.approvals == [participant.assignment_id]
    assert "data_check" not in hook_names()


@pytest.mark.parametrize(
    "status, local, hook",
    [("RETURNED", ParticipantStatus.RETURNED, "assignment_returned"),
     ("TIMED-OUT", ParticipantStatus.ABANDONED, "assignment_abandoned")],
)  # fmt: skip
def test_a_return_or_time_out_ends_the_assignment_with_its_hook(client, participant, status, local, hook):
    deliver(client, submission_event(participant.assignment_id, status))

    assert reloaded(participant).status == local
    assert hook in hook_names()


def test_approved_confirms_the_base_payment_without_paying(client, participant):
    participant.status = ParticipantStatus.APPROVED
    participant.base_pay = 1.5
    participant.save()
    ledger.settlement_intend(participant=participant, recruit="none", bonus_reason=None)

    deliver(client, submission_event(participant.assignment_id, "APPROVED"))

    base = Payment.objects.get(key=ledger.payment_key(participant, Payment.Kind.BASE))
    assert base.state == Payment.State.SENT
    assert base.external_id == participant.assignment_id
    assert StandInProlific.approvals == []
    assert reloaded(participant).status == ParticipantStatus.APPROVED


@pytest.mark.parametrize("state", [Payment.State.SENDING, Payment.State.UNKNOWN])
def test_approved_settles_a_payment_left_sending_or_unknown(participant, state):
    participant.base_pay = 1.5
    ledger.settlement_intend(participant=participant, recruit="none", bonus_reason=None)
    key = ledger.payment_key(participant, Payment.Kind.BASE)
    Payment.objects.filter(key=key).update(state=state, error="interrupted")

    assert ledger.payment_confirmed(key=key, external_id="sub-1")
    assert Payment.objects.get(key=key).state == Payment.State.SENT
    assert not ledger.payment_confirmed(key=key, external_id="sub-1")


def test_a_failed_payment_is_not_confirmed(participant):
    participant.base_pay = 1.5
    ledger.settlement_intend(participant=participant, recruit="none", bonus_reason=None)
    key = ledger.payment_key(participant, Payment.Kind.BASE)
    Payment.objects.filter(key=key).update(state=Payment.State.FAILED)

    assert not ledger.payment_confirmed(key=key)
    assert Payment.objects.get(key=key).state == Payment.State.FAILED


@pytest.mark.parametrize(
    "before, after",
    [(ParticipantStatus.SUBMITTED, ParticipantStatus.REJECTED),
     (ParticipantStatus.WORKING, ParticipantStatus.REJECTED),
     (ParticipantStatus.APPROVED, ParticipantStatus.APPROVED),
     (ParticipantStatus.RETURNED, ParticipantStatus.RETURNED)],
)  # fmt: skip
def test_rejected_rejects_a_participant_not_in_a_final_state(client, participant, before, after):
    Participant.objects.filter(pk=participant.pk).update(status=before)

    deliver(client, submission_event(participant.assignment_id, "REJECTED"))

    assert reloaded(participant).status == after


def test_rejected_cancels_a_base_payment_still_to_be_made_and_sends_nothing(client, participant):
    participant.status = ParticipantStatus.APPROVED
    participant.base_pay = 1.5
    participant.save()
    ledger.settlement_intend(participant=participant, recruit="none", bonus_reason=None)

    deliver(client, submission_event(participant.assignment_id, "REJECTED"))

    base = Payment.objects.get(key=ledger.payment_key(participant, Payment.Kind.BASE))
    assert (base.state, base.error) == (Payment.State.FAILED, "the submission was rejected on Prolific")
    assert StandInProlific.approvals == []


def test_an_unknown_submission_is_ignored_with_a_note(client, participant):
    deliver(client, submission_event("000000000000000000000000", "RETURNED"))

    event = WebhookEvent.objects.get()
    assert event.outcome == WebhookEvent.Outcome.IGNORED
    assert "000000000000000000000000" in event.error
    assert reloaded(participant).status == ParticipantStatus.WORKING


def test_another_submission_status_is_ignored(client, participant):
    deliver(client, submission_event(participant.assignment_id, "ACTIVE"))

    assert WebhookEvent.objects.get().outcome == WebhookEvent.Outcome.IGNORED
    assert reloaded(participant).status == ParticipantStatus.WORKING


def test_a_participant_from_another_recruiter_is_not_touched(client, make_participant, experiment):
    other = make_participant(recruiter_id="hotair", assignment_id="5f1aabcdef0123456789abcd")

    deliver(client, submission_event(other.assignment_id, "RETURNED"))

    assert WebhookEvent.objects.get().outcome == WebhookEvent.Outcome.IGNORED
    assert reloaded(other).status == ParticipantStatus.WORKING


# Study status changes


def test_a_study_status_change_updates_the_study(client, experiment):
    ProlificStudy.objects.create(experiment="exp-1", study_id="60aa00000000000000000001", status="UNPUBLISHED")
    event = {"event_type": "study.status.change", "resource_id": "60aa00000000000000000001", "status": "ACTIVE",
             "metadata": {}}  # fmt: skip

    deliver(client, event)

    assert ProlificStudy.objects.get().status == "ACTIVE"
    assert WebhookEvent.objects.get().outcome == WebhookEvent.Outcome.APPLIED


def test_another_studys_status_change_is_ignored(client, experiment):
    deliver(client, {"event_type": "study.status.change", "resource_id": "unknown-study", "status": "PAUSED"})

    assert WebhookEvent.objects.get().outcome == WebhookEvent.Outcome.IGNORED


# Failures and reruns


def test_an_error_while_applying_marks_the_event_failed_and_is_raised(participant, monkeypatch):
    event = WebhookEvent.objects.create(
        event_id="evt-boom",
        event_type="submission.status.change",
        resource_id=participant.assignment_id,
        timestamp=100,
        body=submission_event(participant.assignment_id, "RETURNED"),
    )

    def broken(**kwargs):
        raise RuntimeError("the hook broke")

    monkeypatch.setattr(webhooks.events, "assignment_end", broken)

    with pytest.raises(RuntimeError, match="the hook broke"):
        webhooks.event_apply(event.pk)

    event.refresh_from_db()
    assert event.outcome == WebhookEvent.Outcome.FAILED
    assert "the hook broke" in event.error
    assert reloaded(participant).status == ParticipantStatus.WORKING


def test_applying_an_event_again_changes_nothing(participant):
    event = WebhookEvent.objects.create(
        event_id="evt-twice",
        event_type="submission.status.change",
        resource_id=participant.assignment_id,
        timestamp=100,
        body=submission_event(participant.assignment_id, "RETURNED"),
    )

    assert webhooks.event_apply(event.pk) == WebhookEvent.Outcome.APPLIED
    assert webhooks.event_apply(event.pk) == WebhookEvent.Outcome.APPLIED
    assert hook_names().count("assignment_returned") == 1


def test_the_periodic_sweep_applies_an_event_whose_task_was_lost(participant, monkeypatch):
    from django.utils import timezone

    from recruitment import tasks

    monkeypatch.setattr(tasks.prolific_event_apply, "delay", lambda event_id: tasks.prolific_event_apply(event_id))
    event = WebhookEvent.objects.create(
        event_id=uuid.uuid4().hex, event_type="submission.status.change", resource_id=participant.assignment_id,
        timestamp=int(time.time()), body=submission_event(participant.assignment_id, "RETURNED"),
    )  # fmt: skip
    assert tasks.settle_overdue() == 0  # a recent event is left to its own task

    WebhookEvent.objects.filter(pk=event.pk).update(received_at=timezone.now() - webhooks.EVENT_GRACE * 2)
    assert tasks.settle_overdue() == 1

    assert WebhookEvent.objects.get(pk=event.pk).outcome == WebhookEvent.Outcome.APPLIED
    assert reloaded(participant).status == ParticipantStatus.RETURNED
    assert tasks.settle_overdue() == 0
