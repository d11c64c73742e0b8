"""Feedback a participant leaves on the error page."""

import json
import logging

from django.utils import timezone

from core.fetch import by_pk
from core.models import Notification, Participant
from core.validation import made_storable
from experiments.binding import Caller
from experiments.errors import ExperimentError
from experiments.services.lookups import as_id
from experiments.services.submission import participant_submit
from recruitment.events import SUBMISSION_RECEIVED
from recruitment.notices.outbox import experimenter_notify

logger = logging.getLogger(__name__)

MAX_FIELD_LENGTH = 10_000
#: Why a report from a caller who does not hold the participant completes nothing.
NOT_FROM_PARTICIPANT = "the report did not come from the participant's own browser"


def error_feedback_record(
    *, experiment, caller: Caller, participant_id, feedback, error_type, error_text, request_data, user_agent, referrer
) -> tuple[Notification, bool]:
    """Store the participant's error report for the experimenter and complete their assignment,
    so they can be paid. Returns the stored report and whether the assignment was completed.

    Anyone may send a report, but only the participant's own browser or bot completes the
    assignment; a report naming a participant the caller does not hold is kept, marked as such.
    """
    participant = by_pk(Participant, as_id(participant_id)) if participant_id else None
    verified = participant is not None and caller.holds(participant)
    try:
        request_details = json.loads(request_data) if request_data else {}
    except (ValueError, RecursionError):
        request_details = {"raw": request_data[:MAX_FIELD_LENGTH]}
    if not isinstance(request_details, dict):
        request_details = {"raw": request_details}
    request_details.update({"user_agent": user_agent, "referrer": referrer})
    # Whatever the participant sent is kept, changed only as much as storing it needs.
    details = made_storable(
        {
            "participant_id": participant.pk if participant else None,
            "from_participant": verified,
            "feedback": (feedback or "")[:MAX_FIELD_LENGTH],
            "error_type": (error_type or "")[:MAX_FIELD_LENGTH],
            "error_text": (error_text or "")[:MAX_FIELD_LENGTH],
            "request_data": request_details,
        }
    )
    report = Notification.objects.create(
        assignment_id=participant.assignment_id if participant else "unknown",
        event_type="ExperimentError",
        details=details,
    )
    not_completed = _complete(experiment, participant, caller) if verified else NOT_FROM_PARTICIPANT
    # Dallinger mails the experimenter from the request; here a task does, after the commit, so
    # the participant's answer never waits for (or fails with) the mail server. Written once
    # the completion is known, which the email reports. Anyone may post a report: one email per
    # participant, and at most one an hour for reports from callers who do not hold the
    # participant they name, so nobody can flood the experimenter's inbox (every report is
    # still stored).
    experimenter_notify(
        config=experiment.config,
        kind="error_report",
        key=_error_email_key(participant if verified else None),
        facts={
            "app_id": experiment.config.get("id"),
            "assignment_id": report.assignment_id,
            "participant_id": details["participant_id"],
            "error_type": details["error_type"][:200],
            "report_id": report.pk,
            "completion": (
                f"Their assignment was NOT completed ({not_completed}): check it on the dashboard."
                if not_completed
                else "Their assignment was completed so that they can be paid."
            ),
        },
    )
    logger.warning("Participant error report %s: %s", report.pk, details["error_type"] or "(no type)")
    return report, not_completed is None


def _complete(experiment, participant, caller) -> str | None:
    """Submit the reporting participant's assignment; why it was not completed, or None if it was.

    Submitting is safe to repeat and does nothing from a status it cannot submit from (a
    returned assignment): what counts is the status the participant ends in."""
    try:
        status = participant_submit(experiment=experiment, participant_id=participant.pk, caller=caller).status
    except ExperimentError as error:
        reason = str(error)
    else:
        if status in SUBMISSION_RECEIVED:
            return None
        reason = f"the participant's status is {status}"
    logger.warning("Could not complete participant %s after an error report.", participant.pk)
    return reason


def _error_email_key(participant) -> str:
    if participant is not None:
        return f"error-report:participant:{participant.pk}"
    return f"error-report:unverified:{timezone.now():%Y-%m-%dT%H}"
