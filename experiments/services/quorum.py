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
    """`{"q", "n", "overrecruited"}` for an experiment with a quorum, else None."""
    if not experiment.quorum:
        return None
    active = Participant.objects.filter(status__in=ACTIVE_STATUSES).count()
    return {"q": experiment.quorum, "n": active, "overrecruited": experiment.is_overrecruited(active)}
