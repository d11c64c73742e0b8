"""Feedback a participant leaves on the error page."""

import json
import logging
import math

from django.db import transaction

from core.models import Notification, Participant
from experiments.errors import ExperimentError
from experiments.services.lookups import as_id
from experiments.services.submission import participant_submit

logger = logging.getLogger(__name__)

MAX_FIELD_LENGTH = 10_000


def error_feedback_record(
    *, experiment, participant_id, feedback, error_type, error_text, request_data, user_agent, referrer
) -> tuple[Notification, bool]:
    """Store the participant's error report for the experimenter and complete their assignment,
    so they can be paid. Returns the stored report and whether the assignment was completed."""
    participant = Participant.objects.filter(pk=as_id(participant_id)).first() if participant_id else None
    try:
        request_details = _storable(json.loads(request_data)) if request_data else {}
    except (ValueError, RecursionError):
        request_details = {"raw": _storable(request_data[:MAX_FIELD_LENGTH])}
    if not isinstance(request_details, dict):
        request_details = {"raw": request_details}
    request_details.update({"user_agent": _storable(user_agent), "referrer": _storable(referrer)})
    details = {
        "participant_id": participant.pk if participant else None,
        "feedback": _storable((feedback or "")[:MAX_FIELD_LENGTH]),
        "error_type": _storable((error_type or "")[:MAX_FIELD_LENGTH]),
        "error_text": _storable((error_text or "")[:MAX_FIELD_LENGTH]),
        "request_data": request_details,
    }
    with transaction.atomic():
        report = Notification(
            assignment_id=participant.assignment_id if participant else "unknown",
            event_type="ExperimentError",
            details=details,
        )
        report.save()
    completed = False
    if participant is not None:
        try:
            participant_submit(experiment=experiment, participant_id=participant.pk)
            completed = True
        except ExperimentError:
            logger.warning("Could not complete participant %s after an error report.", participant.pk)
    logger.warning("Participant error report %s: %s", report.pk, details["error_type"] or "(no type)")
    return report, completed


def _storable(value):
    """`value` without what PostgreSQL cannot store in JSON: NUL characters, NaN and infinities."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value
