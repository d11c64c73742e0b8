"""Prolific's webhooks: checking a delivery's signature, keeping each event once, applying it.

A delivery is answered at once: its signature is checked, the event is written down under
its X-Event-ID (unique, so a redelivery changes nothing) and a task applies it after the
commit. Applying takes a lock per resource (a submission or a study) and drops an event older
than one already applied to the same resource, as Prolific does not promise the order.
"""

import base64
import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

from django.db import DataError, transaction
from django.utils import timezone

from core.background import send_after_commit
from core.locks import lock_keys
from core.models import Participant, ParticipantStatus
from recruitment import events, host
from recruitment.models import Payment, ProlificStudy, WebhookEvent
from recruitment.payments import ledger
from recruitment.prolific.study import study_status_set

logger = logging.getLogger(__name__)

SOURCE = "prolific"
#: The recruiter id Prolific participants carry (their assignment id is the submission id).
RECRUITER_ID = "prolific"

#: How far a delivery's X-Prolific-Request-Timestamp may be from this server's clock. Prolific
#: documents no window; five minutes allows for clock drift and a slow network while keeping a
#: captured delivery from being replayed later. A genuine delivery refused for its age is sent
#: again by Prolific with a fresh timestamp.
TIMESTAMP_TOLERANCE_SECONDS = 5 * 60

SIGNATURE_HEADER = "X-Prolific-Request-Signature"
REQUEST_TIMESTAMP_HEADER = "X-Prolific-Request-Timestamp"
EVENT_ID_HEADER = "X-Event-ID"
EVENT_TIMESTAMP_HEADER = "X-Timestamp"

#: Participant statuses a Prolific rejection no longer changes.
FINAL_STATUSES = (
    ParticipantStatus.APPROVED,
    ParticipantStatus.REJECTED,
    ParticipantStatus.RETURNED,
    ParticipantStatus.ABANDONED,
    ParticipantStatus.BAD_DATA,
    ParticipantStatus.DID_NOT_ATTEND,
    ParticipantStatus.REPLACED,
)

#: Submission statuses that end an assignment without a submission, and the event they are.
ENDINGS = {"RETURNED": "AssignmentReturned", "TIMED-OUT": "AssignmentAbandoned"}


class WebhookRefused(Exception):
    """A delivery that is not accepted: `status` (401 or 400), a message and a short code."""

    def __init__(self, status: int, message: str, error_code: str):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code


def _digest(secret: str, timestamp: str, body: bytes) -> bytes:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("utf-8") + body, hashlib.sha256)
    return base64.b64encode(mac.digest())


def signature_valid(secret: str, timestamp: str, raw_body: bytes, signature: str, *, now: float | None = None) -> bool:
    """Whether `signature` is Prolific's for this delivery and its timestamp is recent.

    The signature is base64(HMAC-SHA256(secret, timestamp followed by the body)). Prolific's
    documentation signs the body as Python's `json.dumps` writes it, which may differ from the
    bytes sent, so a signature over either is accepted.
    """
    if not secret or not timestamp or not signature:
        return False
    if isinstance(raw_body, str):
        raw_body = raw_body.encode("utf-8")
    try:
        sent_at = float(timestamp)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if not abs(current - sent_at) <= TIMESTAMP_TOLERANCE_SECONDS:  # also refuses nan
        return False
    given = signature.strip().encode("utf-8")
    candidates = [raw_body]
    try:
        reserialised = json.dumps(json.loads(raw_body)).encode("utf-8")
    except (ValueError, UnicodeDecodeError, RecursionError):
        reserialised = None
    if reserialised is not None and reserialised != raw_body:
        candidates.append(reserialised)
    # Every candidate is compared, so the time taken does not say which one matched.
    matches = [hmac.compare_digest(_digest(secret, timestamp, body), given) for body in candidates]
    return any(matches)


def webhook_receive(*, headers, raw_body: bytes, secret: str, now: float | None = None) -> tuple[int, dict]:
    """Accept one delivery: (200, answer) once its event is written down (or was before).

    Raises WebhookRefused, having written nothing: 401 for a missing, wrong or out-of-date
    signature, 400 for a body that is not a JSON object or a missing X-Event-ID.
    """
    from recruitment import tasks

    header = _header_reader(headers)
    if not signature_valid(
        secret, header(REQUEST_TIMESTAMP_HEADER), raw_body, header(SIGNATURE_HEADER), now=now
    ):
        raise WebhookRefused(401, "The webhook signature is missing, wrong or out of date.", "bad_signature")
    try:
        body = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise WebhookRefused(400, "The webhook body is not JSON.", "malformed_body") from None
    if not isinstance(body, dict):
        raise WebhookRefused(400, "The webhook body is not a JSON object.", "malformed_body")
    event_id = header(EVENT_ID_HEADER)
    if not event_id or len(event_id) > 255:
        raise WebhookRefused(400, f"The {EVENT_ID_HEADER} header is missing or too long.", "missing_event_id")
    event_type, resource_id = body.get("event_type"), body.get("resource_id")
    if not isinstance(event_type, str) or not isinstance(resource_id, str) or not event_type or not resource_id:
        raise WebhookRefused(400, "The webhook body needs an event_type and a resource_id.", "malformed_body")
    if len(event_type) > 100 or len(resource_id) > 255:
        raise WebhookRefused(400, "The webhook's event_type or resource_id is too long.", "malformed_body")
    timestamp = _event_timestamp(header(EVENT_TIMESTAMP_HEADER) or header(REQUEST_TIMESTAMP_HEADER))
    fields = {"event_type": event_type, "resource_id": resource_id, "timestamp": timestamp, "body": body}
    try:
        with transaction.atomic():
            # A redelivery, even one racing the first, finds the row (get_or_create catches the
            # unique constraint's error in a savepoint) and enqueues nothing.
            event, created = WebhookEvent.objects.get_or_create(source=SOURCE, event_id=event_id, defaults=fields)
            if created:
                send_after_commit(tasks.prolific_event_apply.s(event.pk))
    except (DataError, ValueError):
        # Text the database cannot store (a NUL character, say).
        raise WebhookRefused(400, "The webhook body could not be stored.", "malformed_body") from None
    return 200, {"status": "success", "event_id": event_id, "duplicate": not created}


def _header_reader(headers):
    """A case-insensitive lookup in `headers` (Django's request.headers or a plain dict)."""
    lowered = {str(name).lower(): value for name, value in headers.items()}

    def read(name: str) -> str:
        value = lowered.get(name.lower())
        return value.strip() if isinstance(value, str) else ""

    return read


def _event_timestamp(value: str) -> int:
    try:
        timestamp = int(float(value))
    except (TypeError, ValueError, OverflowError):
        raise WebhookRefused(400, f"The {EVENT_TIMESTAMP_HEADER} header is not a UNIX time.", "bad_timestamp") from None
    if not 0 <= timestamp < 2**62:
        raise WebhookRefused(400, f"The {EVENT_TIMESTAMP_HEADER} header is not a UNIX time.", "bad_timestamp")
    return timestamp


def event_apply(webhook_event_id: int) -> str:
    """Apply a recorded Prolific event, once; its outcome (applied, stale, ignored...).

    An event not pending (applied before, or failed) is left alone, so running this again is
    safe. An error marks the event failed, with the error, and is raised again.
    """
    event = WebhookEvent.objects.filter(pk=webhook_event_id).first()
    if event is None:
        raise WebhookEvent.DoesNotExist(f"There is no webhook event with id {webhook_event_id}.")
    if event.outcome != WebhookEvent.Outcome.PENDING:
        return event.outcome
    try:
        experiment = host.current().experiment() if event.event_type == "submission.status.change" else None
        with transaction.atomic():
            # One event per resource at a time, so the staleness check and the change agree.
            lock_keys(f"webhook:{event.source}:{event.resource_id}")
            event = WebhookEvent.objects.select_for_update().get(pk=webhook_event_id)
            if event.outcome != WebhookEvent.Outcome.PENDING:
                return event.outcome
            if _newer_applied(event):
                outcome, note = WebhookEvent.Outcome.STALE, "a later event for this resource was applied first"
            elif event.event_type == "submission.status.change":
                outcome, note = _submission_status_change(experiment, event)
            elif event.event_type == "study.status.change":
                outcome, note = _study_status_change(event)
            else:
                outcome, note = WebhookEvent.Outcome.IGNORED, f"event type {event.event_type} is not used"
            event.outcome, event.error, event.processed_at = outcome, note, timezone.now()
            event.save(update_fields=["outcome", "error", "processed_at"])
    except Exception as error:
        WebhookEvent.objects.filter(pk=webhook_event_id, outcome=WebhookEvent.Outcome.PENDING).update(
            outcome=WebhookEvent.Outcome.FAILED,
            error=f"{type(error).__name__}: {error}"[:2000],
            processed_at=timezone.now(),
        )
        logger.exception("Prolific event %s could not be applied.", event.event_id)
        raise
    return outcome


#: An event still pending this long after it arrived lost its task (applying one takes seconds).
EVENT_GRACE = timedelta(minutes=5)


def events_overdue(*, older_than: timedelta = EVENT_GRACE, limit: int = 100) -> list[int]:
    """Recorded events still pending well after they arrived: their task was lost (a broker
    restarted without its data). Their ids, oldest first."""
    cutoff = timezone.now() - older_than
    pending = WebhookEvent.objects.filter(outcome=WebhookEvent.Outcome.PENDING, received_at__lt=cutoff)
    return list(pending.order_by("id").values_list("id", flat=True)[:limit])


def _newer_applied(event) -> bool:
    later = WebhookEvent.objects.filter(
        source=event.source,
        resource_id=event.resource_id,
        outcome=WebhookEvent.Outcome.APPLIED,
        timestamp__gt=event.timestamp,
    )
    return later.exclude(pk=event.pk).exists()


def _submission_status_change(experiment, event) -> tuple[str, str]:
    status = str(event.body.get("status") or "").strip().upper().replace("_", " ")
    participant = (
        Participant.objects.select_for_update(no_key=True)
        .filter(recruiter_id=RECRUITER_ID, assignment_id=event.resource_id)
        .order_by("-creation_time", "-id")
        .first()
    )
    if participant is None:
        return WebhookEvent.Outcome.IGNORED, f"no participant has submission {event.resource_id}"
    if status == "AWAITING REVIEW":
        return WebhookEvent.Outcome.APPLIED, _submitted(experiment, participant)
    if status in ENDINGS:
        changed = events.assignment_end(experiment=experiment, participant=participant, event=ENDINGS[status])
        return WebhookEvent.Outcome.APPLIED, "" if changed else f"participant was {participant.status}: unchanged"
    if status == "APPROVED":
        confirmed = ledger.payment_confirmed(
            key=ledger.payment_key(participant, Payment.Kind.BASE), external_id=event.resource_id
        )
        return WebhookEvent.Outcome.APPLIED, "" if confirmed else "no base payment waited for this approval"
    if status == "REJECTED":
        # A rejected submission cannot be approved any more: its base payout, if still to be
        # made, would only be refused by Prolific.
        ledger.payment_cancelled(
            key=ledger.payment_key(participant, Payment.Kind.BASE), reason="the submission was rejected on Prolific"
        )
        if participant.status in FINAL_STATUSES:
            return WebhookEvent.Outcome.APPLIED, f"participant was {participant.status}: unchanged"
        participant.status = ParticipantStatus.REJECTED
        participant.end_time = participant.end_time or timezone.now()
        participant.save(update_fields=["status", "end_time"])
        return WebhookEvent.Outcome.APPLIED, ""
    return WebhookEvent.Outcome.IGNORED, f"submission status {status or '(none)'} needs nothing here"


def _submitted(experiment, participant) -> str:
    """Prolific has the submission: process it, or settle again a processed one still unpaid."""
    from recruitment import tasks

    if participant.status in events.SUBMITTABLE:
        host.current().process_submission(experiment, participant)
        return ""
    base = Payment.objects.filter(key=ledger.payment_key(participant, Payment.Kind.BASE)).first()
    if base is not None and base.state == Payment.State.INTENDED:
        # Its approval may have been refused while Prolific did not yet have the submission.
        send_after_commit(tasks.settle_submission.s(participant.pk))
        return "already processed: its base payment is sent again"
    return f"participant was {participant.status}: unchanged"


def _study_status_change(event) -> tuple[str, str]:
    status = str(event.body.get("status") or "").strip().upper()[:40]
    if not status:
        return WebhookEvent.Outcome.IGNORED, "the event names no status"
    row = ProlificStudy.objects.filter(study_id=event.resource_id).first()
    if row is None:
        return WebhookEvent.Outcome.IGNORED, f"no experiment uses study {event.resource_id}"
    study_status_set(row, status)
    return WebhookEvent.Outcome.APPLIED, ""
