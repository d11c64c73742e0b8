"""The waiting-room quorum: how many participants are in, and whether there are too many."""

from core.models import Participant, ParticipantStatus

#: Statuses of participants who count towards a quorum.
ACTIVE_STATUSES = (
    ParticipantStatus.WORKING,
    ParticipantStatus.OVERRECRUITED,
    ParticipantStatus.RECRUITER_SUBMISSION_STARTED,
    ParticipantStatus.SUBMITTED,
    ParticipantStatus.APPROVED,
)


def quorum_state(*, experiment) -> dict | None:
    """`{"q", "n", "overrecruited"}` for an experiment with a quorum, else None; with group
    formation by arrival (`group_size`) also `"grouping": true`, which tells the waiting page
    to wait for the frame naming its group rather than for the count."""
    if not experiment.quorum:
        return None
    active = Participant.objects.filter(status__in=ACTIVE_STATUSES).count()
    state = {"q": experiment.quorum, "n": active, "overrecruited": experiment.is_overrecruited(active)}
    if getattr(experiment, "group_size", 0):
        state["grouping"] = True
    return state
