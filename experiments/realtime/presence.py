"""Presence hooks the `/chat` consumer calls (no-ops until presence tracking is implemented)."""


def presence_connected(participant_id: int, channel_names: list[str]) -> None:
    """A participant's socket opened, subscribed to `channel_names`."""


def presence_heartbeat(participant_id: int) -> None:
    """A participant's socket sent a heartbeat frame."""


def presence_disconnected(participant_id: int) -> None:
    """A participant's socket closed."""
