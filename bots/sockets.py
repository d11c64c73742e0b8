"""A bot's websocket to the server's `/chat` route: frames `"<channel>:<payload>"` both ways.

The socket carries the bot's session cookies, so the server binds it to the bot's participant
exactly as it binds the bot's HTTP requests. A reader thread puts each frame it receives in a
queue, so a bot reads at its own pace and never misses a frame while it is busy sending.
"""

import json
import logging
import queue
import threading
import time
from urllib.parse import urlencode, urlparse

import requests
import websocket

from core.realtime import CONTROL_CHANNEL, QUORUM_CHANNEL

logger = logging.getLogger(__name__)

#: Seconds between heartbeats, as dallinger2.js sends them.
HEARTBEAT_SECONDS = 10.0
#: Seconds the reader waits on the socket before checking whether a heartbeat is due.
_READ_SLICE = 1.0


class SocketError(Exception):
    """The websocket could not be opened, or has closed."""


def socket_url(host: str, channels: list[str], participant_id="", worker_id="") -> str:
    """The `/chat` address for `host` (`http(s)://name:port`), subscribed to `channels`."""
    parsed = urlparse(host)
    scheme = "wss" if parsed.scheme == "https" else "ws"
    query = [("channel", channel) for channel in channels]
    query += [
        (key, str(value)) for key, value in (("participant_id", participant_id), ("worker_id", worker_id)) if value
    ]
    return f"{scheme}://{parsed.netloc}/chat?{urlencode(query)}"


def cookie_header(session: requests.Session, host: str) -> str:
    """The Cookie header the session would send to `host`'s `/chat` (domain and path rules kept)."""
    prepared = requests.Request("GET", f"{host}/chat").prepare()
    return requests.cookies.get_cookie_header(session.cookies, prepared) or ""


def waiting_room_release(frame: tuple[str, object], participant_id, grouping: bool) -> str | None:
    """What a frame `(channel, payload)` heard in the waiting room means for participant
    `participant_id`: "play" (the quorum is reached, or their group formed), "complete"
    (released to finish without playing, as the waiting page sends a person), or None (wait on).

    Without groups, any count at or above the quorum releases them (a frame missed while the
    socket opened must not hold them for ever). With group formation by arrival the count says
    nothing: only the frame naming them does, or their snapshot naming their network (the group
    formed as the socket opened)."""
    channel, data = frame
    if not isinstance(data, dict):
        return None
    if not grouping:
        reached = channel == QUORUM_CHANNEL and "n" in data and data.get("n", 0) >= data.get("q", 1)
        return "play" if reached else None
    if channel == CONTROL_CHANNEL and data.get("type") == "snapshot" and data.get("network_id"):
        return "play"
    if channel == QUORUM_CHANNEL and str(participant_id) in [str(value) for value in data.get("participant_ids", ())]:
        return "complete" if data.get("type") == "released" else "play"
    return None


def parse_frame(frame: str) -> tuple[str, object] | None:
    """`(channel, payload)` of a frame; the payload is the decoded JSON where it is JSON.

    None for a frame without a channel prefix (nothing the protocol sends).
    """
    channel, separator, payload = frame.partition(":")
    if not separator:
        return None
    try:
        return channel, json.loads(payload)
    except ValueError:
        return channel, payload


class BotSocket:
    """An open `/chat` websocket: `send`, `receive`, `close`.

    Heartbeats go out when it opens and every `HEARTBEAT_SECONDS` while it is open, so the
    server counts the bot as present as it counts a browser.
    """

    def __init__(self, url: str, cookie: str = "", timeout: float = 10.0, heartbeat: float = HEARTBEAT_SECONDS):
        try:
            self._socket = websocket.create_connection(url, cookie=cookie or None, timeout=timeout)
        except (OSError, websocket.WebSocketException) as error:
            raise SocketError(f"Could not open the websocket {url.split('?')[0]}: {error}") from None
        self._socket.settimeout(_READ_SLICE)
        self._frames: queue.Queue = queue.Queue()
        self._heartbeat = heartbeat
        self._closing = threading.Event()
        self.closed = threading.Event()
        self._reader = threading.Thread(target=self._read, name="bot-socket-reader", daemon=True)
        self._reader.start()

    def send(self, channel: str, payload) -> None:
        """Send `payload` (a dict is sent as JSON) on `channel`."""
        text = json.dumps(payload) if isinstance(payload, dict) else str(payload)
        try:
            self._socket.send(f"{channel}:{text}")
        except (OSError, websocket.WebSocketException) as error:
            raise SocketError(f"Could not send on the websocket: {error}") from None

    def receive(self, timeout: float | None = None) -> tuple[str, object] | None:
        """The next frame as `(channel, payload)`, or None if none came within `timeout` seconds
        (or the socket has closed and every frame it received has been read)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = _READ_SLICE if deadline is None else max(0.0, min(_READ_SLICE, deadline - time.monotonic()))
            try:
                return self._frames.get(timeout=wait)
            except queue.Empty:
                if self.closed.is_set() and self._frames.empty():
                    return None
                if deadline is not None and time.monotonic() >= deadline:
                    return None

    def close(self) -> None:
        """Close the socket and stop its reader."""
        self._closing.set()
        try:
            self._socket.close()
        except (OSError, websocket.WebSocketException):
            pass  # already gone: closing is all that was asked
        self._reader.join(timeout=_READ_SLICE * 3)

    def __enter__(self) -> "BotSocket":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _read(self) -> None:
        # The first heartbeat at once, as dallinger2.js sends it.
        next_heartbeat = time.monotonic()
        try:
            while not self._closing.is_set():
                if time.monotonic() >= next_heartbeat:
                    self._socket.send(f"{CONTROL_CHANNEL}:{json.dumps({'type': 'heartbeat'})}")
                    next_heartbeat = time.monotonic() + self._heartbeat
                try:
                    frame = self._socket.recv()
                except websocket.WebSocketTimeoutException:
                    continue
                if isinstance(frame, bytes):
                    frame = frame.decode("utf-8", "replace")
                if not frame:  # a close frame reads as empty
                    break
                parsed = parse_frame(frame)
                if parsed is not None:
                    self._frames.put(parsed)
        except (OSError, websocket.WebSocketException) as error:
            if not self._closing.is_set():
                logger.info("The bot's websocket closed: %s", error)
        finally:
            self.closed.set()
