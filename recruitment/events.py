"""Recruiter events (Dallinger's notifications): recorded, then applied to their participant.

An event changes the participant's status and runs the experiment's hook in one transaction,
the participant's row locked, so the hook always sees the new status and the same event
arriving twice is applied once.
"""

import logging

from django.db import transaction
from django.utils import timezone

from core.background import send_after_commit
from core.models import Notification, Participant, ParticipantStatus
from recruitment import host

logger = logging.getLogger(__name__)

#: The events that act on a participant (NotificationMissing is the clock check's own).
EVENT_TYPES = (
    "AssignmentAccepted",
    "AssignmentAbandoned",
    "AssignmentReturned",
    "AssignmentSubmitted",
    "NotificationMissing",
)

#: Every event type Mechanical Turk sends. Those not in EVENT_TYPES (approvals and rejections
#: this server made itself, the HIT's own changes, MTurk's test Ping) are acknowledged and left
#: alone, as Dallinger does: HITReviewable and HITExpired are subscribed to but need nothing.
MTURK_EVENT_TYPES = (
    "AssignmentAccepted",
    "AssignmentAbandoned",
    "AssignmentReturned",
    "AssignmentSubmitted",
    "AssignmentRejected",
    "AssignmentApproved",
    "HITCreated",
    "HITExtended",
    "HITDisposed",
    "HITReviewable",
    "HITExpired",
    "Ping",
)

#: Statuses from which a submission is still accepted.
SUBMITTABLE = (
    ParticipantStatus.WORKING,
    ParticipantStatus.OVERRECRUITED,
    ParticipantStatus.RECRUITER_SUBMISSION_STARTED,
)

#: Statuses of a participant whose submission was received: being processed, or processed.
SUBMISSION_RECEIVED = (
    ParticipantStatus.RECRUITER_SUBMISSION_STARTED,
    ParticipantStatus.SUBMITTED,
    ParticipantStatus.APPROVED,
    ParticipantStatus.BAD_DATA,
)

#: What an event that ends an assignment makes of a participant still working, and the hook.
ENDINGS = {
    "AssignmentAbandoned": (ParticipantStatus.ABANDONED, "assignment_abandoned"),
    "AssignmentReturned": (ParticipantStatus.RETURNED, "assignment_returned"),
    "NotificationMissing": (ParticipantStatus.MISSING_NOTIFICATION, None),
}


class EventError(ValueError):
    """An event that cannot be recorded (unknown type, no participant named)."""


def event_record(*, event_type, assignment_id, participant_id=None, details=None) -> Notification | None:
    """Store a recruiter's event and apply it in the background once it is committed.

    An event that needs nothing here (another MTurk event type, or one this server does not
    know) is acknowledged: logged, not stored, and None is returned."""
    from recruitment import tasks

    if not event_type:
        raise EventError("Event.1.EventType is required.")
    if event_type not in EVENT_TYPES:
        # Both are caller's text: logged shortened.
        named = (event_type[:100], (assignment_id or "")[:100])
        if event_type in MTURK_EVENT_TYPES:
            logger.info("%s event for assignment %r acknowledged: it needs nothing.", *named)
        else:
            logger.warning("Unknown event type %r (assignment %r) acknowledged and ignored.", *named)
        return None
    if not assignment_id and participant_id in (None, ""):
        raise EventError("Event.1.AssignmentId or participant_id is required.")
    stored = dict(details or {})
    if participant_id not in (None, ""):
        stored["participant_id"] = participant_id
    with transaction.atomic():
        notification = Notification(assignment_id=assignment_id or "", event_type=event_type, details=stored)
        notification.save()
        send_after_commit(tasks.process_notification.s(notification.pk))
    return notification


def event_process(*, notification_id) -> Participant | None:
    """Apply a recorded event to its participant, through the experiment's hooks."""
    runtime = host.current()
    experiment = runtime.experiment()
    with transaction.atomic():
        notification = Notification.objects.get(pk=notification_id)
        participant = _participant_for(notification)
        if participant is None:
            _no_participant(notification)
            return None
        event = notification.event_type
        if event == "AssignmentSubmitted":
            if participant.status in SUBMITTABLE:
                participant.end_time = participant.end_time or timezone.now()
                runtime.process_submission(experiment, participant)
        elif event in ENDINGS:
            assignment_end(experiment=experiment, participant=participant, event=event)
    return participant


def assignment_end(*, experiment, participant, event: str) -> bool:
    """The recruiter says a participant stopped without submitting (`event`: one of ENDINGS).

    Inside a transaction, the participant's row locked. Only a participant still working is
    changed (Dallinger's rule): their status and end time are saved before the hook runs.
    Whether it changed anything."""
    if participant.status != ParticipantStatus.WORKING:
        return False
    status, hook = ENDINGS[event]
    participant.status = status
    participant.end_time = participant.end_time or timezone.now()
    participant.save(update_fields=["status", "end_time"])
    if hook:
        getattr(experiment, hook)(participant=participant)
    return True


def _no_participant(notification) -> None:
    """An event about nobody here: logged. A submission for no participant means one was lost
    (participant creation or the notifications' routing went wrong), so it is also written on
    the event for the experimenter, rather than failing the task as Dallinger does."""
    if notification.event_type != "AssignmentSubmitted":
        logger.warning("No participant for %r (assignment %s).", notification, notification.assignment_id)
        return
    error = f"No participant has assignment {notification.assignment_id!r}: its submission was not processed."
    logger.error("%r: %s", notification, error)
    notification.details = {**notification.details, "error": error}
    notification.save(update_fields=["details"])


def _participant_for(notification) -> Participant | None:
    queryset = Participant.objects.select_for_update(no_key=True)
    participant_id = notification.details.get("participant_id")
    if participant_id is not None:
        try:
            return queryset.filter(pk=int(participant_id)).first()
        except (TypeError, ValueError):
            return None
    return queryset.filter(assignment_id=notification.assignment_id).order_by("-creation_time", "-id").first()
