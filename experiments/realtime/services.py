"""The rules of the `/chat` socket: who may connect, what a frame is, which channels a client may
use, the control events, and handing frames to the experiment.

The consumer (consumers.py) only parses the connection and calls these.
"""

import json
import logging
from urllib.parse import parse_qs

from core.fetch import by_pk
from core.models import Participant
from core.realtime import (
    CONTROL_CHANNEL,
    GROUP_CHANNEL_PREFIX,
    PERSONAL_CHANNELS,
    QUORUM_CHANNEL,
    group_channel_network,
    group_name,
    participant_group_name,
)
from experiments.binding import Caller
from experiments.config import get_config
from experiments.realtime import messages
from experiments.services.group_lookups import is_group_member
from experiments.services.replacement import REPLACED_ERROR_CODE, exit_address, is_replaced, replaced_message

logger = logging.getLogger(__name__)

#: Channels only the server publishes on (a client's frame there could release a waiting room
#: or forge another participant's events), besides every group's channel (`is_server_only`).
SERVER_ONLY_CHANNELS = frozenset({CONTROL_CHANNEL, QUORUM_CHANNEL})
#: Channels a socket may not subscribe to (the control channel names every worker).
UNSUBSCRIBABLE_CHANNELS = frozenset({CONTROL_CHANNEL})
MAX_CHANNEL_LENGTH = 200

#: Close codes (sent after the handshake, so clients see them).
CLOSE_BAD_REQUEST = 4400  # no channel, a bad channel name, a participant id that is not a number
CLOSE_NOT_YOURS = 4403  # not the participant's cookie, or a group channel that is not theirs
CLOSE_UNKNOWN_PARTICIPANT = 4404  # no participant with that id
CLOSE_REPLACED = 4410  # a bot took the participant's place: they are sent to the exit page

CLIENT_CLASS = "experiments.realtime.consumers.ChatConsumer"


class Refused(Exception):
    """A connection the server closes with `code`, after an error frame with `error_code`."""

    def __init__(self, code: int, message: str, error_code: str = "connection_refused", **details):
        super().__init__(message)
        self.code = code
        self.message = message
        self.error_code = error_code
        self.details = details


class FrameError(Exception):
    """A frame the server answers with an error frame (the socket stays open)."""

    def __init__(self, error_code: str, message: str):
        super().__init__(message)
        self.error_code = error_code
        self.message = message


class Connection:
    """What a socket asked for at its handshake."""

    def __init__(self, channels: list[str], worker_id: str | None, participant_id: int | None):
        self.channels = channels
        self.worker_id = worker_id
        self.participant_id = participant_id

    def client_info(self) -> dict:
        """The `client` object of control events (Dallinger's keys; ids as strings)."""
        return {
            "class": CLIENT_CLASS,
            "worker_id": self.worker_id,
            "participant_id": None if self.participant_id is None else str(self.participant_id),
        }


def parse_connection(query_string: bytes) -> Connection:
    """The socket's channels and ids from its query string; Refused when they are unusable.

    `channel` may repeat or hold several names separated by commas; `tolerance` is accepted
    and ignored (frames are handled as they arrive).
    """
    query = parse_qs(query_string.decode("utf-8", "replace"))
    channels = []
    for value in query.get("channel", []):
        for name in value.split(","):
            name = name.strip()
            if name and name not in channels:
                channels.append(name)
    if not channels:
        raise Refused(CLOSE_BAD_REQUEST, "A channel is required: /chat?channel=<name>.")
    for name in channels:
        if ":" in name or len(name) > MAX_CHANNEL_LENGTH:
            raise Refused(CLOSE_BAD_REQUEST, f"{name[:50]!r} is not a channel name.")
        if name in UNSUBSCRIBABLE_CHANNELS:
            raise Refused(CLOSE_BAD_REQUEST, f"Sockets cannot subscribe to {name}.")
    worker_id = (query.get("worker_id") or [None])[0] or None
    raw_participant = (query.get("participant_id") or [""])[0].strip()
    participant_id = None
    if raw_participant and raw_participant not in ("undefined", "null"):
        try:
            participant_id = int(raw_participant)
        except ValueError:
            raise Refused(CLOSE_BAD_REQUEST, "participant_id must be a number.") from None
    return Connection(channels, worker_id, participant_id)


def authorize(connection: Connection, cookies: dict) -> None:
    """Refused unless the socket may speak for its participant, as its HTTP requests may, and
    may listen on each of its channels."""
    participant = None
    if connection.participant_id is not None:
        participant = by_pk(Participant, connection.participant_id)
        if participant is None:
            raise Refused(CLOSE_UNKNOWN_PARTICIPANT, f"There is no participant with id {connection.participant_id}.")
        if not Caller.of_cookies(cookies, get_config()).holds(participant):
            raise Refused(CLOSE_NOT_YOURS, f"This browser did not create participant {participant.pk}.")
        if is_replaced(participant):
            raise replaced(participant)
    for channel in connection.channels:
        if not may_subscribe(channel, participant):
            raise Refused(CLOSE_NOT_YOURS, f"Only the members of a group may listen on {channel[:50]}.")


def layer_groups(connection: Connection) -> list[str]:
    """The channel layer groups a socket joins: one per channel, and, for a socket bound to a
    participant, that participant's own group on each personal channel (the waiting room's),
    where the server tells them alone about their group or their release."""
    groups = [group_name(channel) for channel in connection.channels]
    if connection.participant_id is not None:
        groups += [
            participant_group_name(connection.participant_id, channel)
            for channel in connection.channels
            if channel in PERSONAL_CHANNELS
        ]
    return groups


def replaced(participant: Participant) -> Refused:
    """The refusal of a socket whose participant a bot replaced: its error frame says where
    to finish (`exit_url`), and the page goes there (`dallinger.openSocket`)."""
    from experiments.runtime import experiment

    return Refused(
        CLOSE_REPLACED,
        replaced_message(experiment()),
        error_code=REPLACED_ERROR_CODE,
        exit_url=exit_address(participant),
    )


def replaced_refusal_of(participant_id: int) -> Refused | None:
    """`replaced(participant)` when a bot replaced participant `participant_id`, else None."""
    participant = by_pk(Participant, participant_id)
    return replaced(participant) if is_replaced(participant) else None


def is_server_only(channel: str) -> bool:
    """Whether only the server publishes on `channel`: the control channel, the waiting room's,
    and every group's own channel."""
    return channel in SERVER_ONLY_CHANNELS or channel.startswith(GROUP_CHANNEL_PREFIX)


def may_subscribe(channel: str, participant: Participant | None) -> bool:
    """Whether a socket of `participant` (None: a socket that names none) may listen on
    `channel`: a group's channel only for a participant with a node or a seat in its network;
    any channel that is neither a group's nor the control channel (refused as a bad request
    by `parse_connection`), for anyone."""
    if not channel.startswith(GROUP_CHANNEL_PREFIX):
        return True
    network_id = group_channel_network(channel)
    return (
        network_id is not None
        and participant is not None
        and is_group_member(participant=participant, network_id=network_id)
    )


def is_heartbeat(channel: str, payload: str) -> bool:
    """Whether a frame is the client's heartbeat (`dallinger_control:{"type":"heartbeat"}`)."""
    if channel != CONTROL_CHANNEL:
        return False
    try:
        data = json.loads(payload)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("type") == "heartbeat"


def parse_frame(text: str | None, connection: Connection) -> tuple[str, str]:
    """`(channel, payload)` of a frame from a client; FrameError when it cannot be relayed."""
    if text is None:
        raise FrameError("binary_frame", "Frames are text: <channel>:<payload>.")
    channel, colon, payload = text.partition(":")
    if not colon or not channel:
        raise FrameError("malformed_frame", "A frame is <channel>:<payload>.")
    if is_server_only(channel):
        raise FrameError("channel_refused", f"Only the server publishes on {channel[:50]}.")
    if connection.participant_id is None and _binding_enforced():
        raise FrameError("not_a_participant", "Only a participant's socket may send frames.")
    if ":" in channel or len(channel) > MAX_CHANNEL_LENGTH:
        raise FrameError("channel_refused", "That is not a channel name.")
    if connection.participant_id is not None and _binding_enforced():
        claimed = _claimed_participant(payload)
        if claimed is not None and claimed != str(connection.participant_id):
            raise FrameError("not_your_participant", "A frame may speak only for the socket's own participant.")
    return channel, payload


def _claimed_participant(payload: str) -> str | None:
    """The participant a JSON frame says it comes from (`sender`, `participant_id` or
    `client.participant_id`, as the experiment reads them), as text; None when it names none."""
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    client = data.get("client") if isinstance(data.get("client"), dict) else {}
    claimed = data.get("sender") or data.get("participant_id") or client.get("participant_id")
    return None if claimed in (None, "") else str(claimed)


def _binding_enforced() -> bool:
    return bool(get_config().get("participant_binding", True))


def error_frame(error_code: str, message: str, **details) -> str:
    """The frame that tells one socket what was wrong with its frame (or its connection)."""
    return (
        CONTROL_CHANNEL + ":" + json.dumps({"type": "error", "error_code": error_code, "message": message, **details})
    )


def subscribed_event(channel: str, connection: Connection) -> dict:
    """Control event: the socket subscribed to `channel`."""
    return {"type": "channel", "event": "subscribed", "channel": channel, "client": connection.client_info()}


def unsubscribed_event(channel: str, connection: Connection) -> dict:
    """Control event: the socket left `channel`."""
    return {"type": "channel", "event": "unsubscribed", "channel": channel, "client": connection.client_info()}


def connected_event(connection: Connection) -> dict:
    """Control event: the socket is open."""
    return {"type": "websocket", "event": "connected", "client": connection.client_info()}


def disconnected_event(connection: Connection, code) -> dict:
    """Control event: the socket closed (`reason` is the close code, as Dallinger sends it)."""
    return {
        "type": "websocket",
        "event": "disconnected",
        "reason": "" if code is None else code,
        "message": "",
        "client": connection.client_info(),
    }


def experiment_takes_messages() -> bool:
    """Whether the running experiment does anything with frames (`messages.takes_messages`).
    Reads no database: the consumer asks it before handing a frame over."""
    from experiments import runtime

    return messages.takes_messages(runtime.active().experiment_class)


def dispatch_to_experiment(channel: str, payload: str) -> None:
    """Hand a frame to the experiment's `send()` when it is on its channel or the control
    channel and the experiment takes messages (nothing is built or queued otherwise).

    Runs once, in the process whose socket received the frame (or raised the event). An
    error in the experiment's code is logged and never closes the socket.
    """
    from experiments.runtime import experiment as active_experiment

    try:
        if not experiment_takes_messages():
            return
        experiment = active_experiment()
        if messages.listens_on(experiment, channel):
            experiment.send(f"{channel}:{payload}")
    except Exception:
        logger.exception("The experiment could not take a frame on channel %r.", channel)
