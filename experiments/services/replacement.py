"""A participant a bot replaced who comes back: they are sent to the end, never into the game.

Their node belongs to the bot now, so nothing they send could count; what is left for them is
the recruiter's exit page, where they submit (on Prolific, that submission is what lets their
base payment be made) and learn what happened.
"""

from core.fetch import by_pk
from core.models import Participant, ParticipantStatus
from experiments.errors import Refused

#: The `error_code` of an API refusal, and of the websocket's error frame, for such a participant.
REPLACED_ERROR_CODE = "participant_replaced"
#: The recruiter of the bots that take replaced participants' places (experiments/services/dropouts.py).
BOTS = "bots"


def is_replaced(participant) -> bool:
    """Whether a bot took `participant`'s place (`replaced` also marks the earlier participant
    of a worker who restarted their assignment: that one has no bot in their place)."""
    return (
        participant is not None
        and participant.status == ParticipantStatus.REPLACED
        and Participant.objects.filter(recruiter_id=BOTS, entry_information__substitute_for=participant.pk).exists()
    )


def exit_address(participant) -> str:
    """Where a replaced participant is sent: the recruiter's exit page."""
    return f"/recruiter-exit?participant_id={participant.pk}"


def replaced_message(experiment) -> str:
    """What a replaced participant is told, on the exit page and in refusals."""
    paid = bool(getattr(experiment, "pay_replaced_participants", True))
    return (
        "You were away from your group for too long, so a computer player took your place and "
        "the group went on without you. " + ("You are paid for the part you played." if paid else "")
    ).strip()


def replaced_refusal(participant) -> Refused:
    """The API's answer to a replaced participant (403), pointing them to the exit page."""
    return Refused(
        f"Participant {participant.pk} was replaced by a computer player after being away too long, "
        f"and can no longer take part: finish at {exit_address(participant)}.",
        error_code=REPLACED_ERROR_CODE,
        participant=participant,
    )


def replaced_predecessor(node_owner) -> Participant | None:
    """The replaced participant whose place the bot `node_owner` took, if it is such a bot."""
    if node_owner.recruiter_id != BOTS:
        return None  # entry information of people comes from their link: only bots' is ours
    details = node_owner.entry_information
    replaced_id = details.get("substitute_for") if isinstance(details, dict) else None
    if not isinstance(replaced_id, int):
        return None
    predecessor = by_pk(Participant, replaced_id)
    return predecessor if is_replaced(predecessor) else None
