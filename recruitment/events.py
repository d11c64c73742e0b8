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

EVENT_TYPES = (
    "AssignmentAccepted",
    "AssignmentAbandoned",
    "AssignmentReturned",
    "AssignmentSubmitted",
    "NotificationMissing",
)

#: Statuses from which a submission is still accepted.
SUBMITTABLE = (
    ParticipantStatus.WORKING,
    ParticipantStatus.OVERRECRUITED,
    ParticipantStatus.RECRUITER_SUBMISSION_STARTED,
)

#: What an event that ends an assignment makes of a participant still working, and the hook.
ENDINGS = {
    "AssignmentAbandoned": (ParticipantStatus.ABANDONED, "assignment_abandoned"),
    "AssignmentReturned": (ParticipantStatus.RETURNED, "assignment_returned"),
    "NotificationMissing": (ParticipantStatus.MISSING_NOTIFICATION, None),
}


class EventError(ValueError):
    """An event that cannot be recorded (unknown type, no participant named)."""


def event_record(*, event_type, assignment_id, participant_id=None, details=None) -> Notification:
    """Store a recruiter's event and apply it in the background once it is committed."""
    from recruitment import tasks

    if not event_type:
        raise EventError("Event.1.EventType is required.")
    if event_type not in EVENT_TYPES:
        raise EventError(f"Unknown event type {event_type!r}; expected one of {', '.join(EVENT_TYPES)}.")
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
            logger.warning("No participant for %r (assignment %s).", notification, notification.assignment_id)
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


def _participant_for(notification) -> Participant | None:
    queryset = Participant.objects.select_for_update(no_key=True)
    participant_id = notification.details.get("participant_id")
    if participant_id is not None:
        try:
            return queryset.filter(pk=int(participant_id)).first()
        except (TypeError, ValueError):
            return None
    return queryset.filter(assignment_id=notification.assignment_id).order_by("-creation_time", "-id").first()
