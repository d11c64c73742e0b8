"""Presence hooks the `/chat` consumer calls: a socket opened, a heartbeat, a socket closed.

The consumer calls them only for sockets bound to a participant (an authorised id).
"""

from experiments import runtime
from experiments.services.presence import presence_beat, presence_connect, presence_leave


def presence_connected(participant_id: int, channel_names: list[str]) -> list[str]:
    """A participant's socket opened on `channel_names`; the frames to send on it (the snapshot)."""
    return presence_connect(
        experiment=runtime.experiment(), participant_id=participant_id, channel_names=list(channel_names)
    )


def presence_heartbeat(participant_id: int) -> None:
    """The participant's socket sent a heartbeat."""
    presence_beat(participant_id=participant_id)


def presence_disconnected(participant_id: int) -> None:
    """A participant's socket closed (the dropout, if any, is declared later by the periodic sweep)."""
    presence_leave(participant_id=participant_id)
