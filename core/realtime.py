"""Publishing frames to websocket subscribers, from any process, after the current commit.

A frame is the text `"<channel>:<payload>"` that every socket subscribed to `channel` receives.

How it travels:
- with `REDIS_URL`, through the channel layer (channels-redis), which every process shares;
- on the embedded default (the in-memory layer, which lives inside one process), the process
  that serves websockets sends to its own layer; any other process (a Celery worker, a bot, a
  management command) POSTs the frame to the web server's relay route (`RELAY_PATH`, mounted
  only then), signed with an HMAC of SECRET_KEY over the time it was sent and the frame, and
  the server sends it to its layer. A request is taken only within `RELAY_MAX_AGE` seconds of
  being signed, so one that was captured cannot be played again later.

The rule that tells the two apart: a process serves websockets if it loaded the ASGI
application (`dallinger_project.asgi` calls `serve_websockets_here()`). Only daphne (and
tests that drive the application in-process) load it.
"""

import asyncio
import concurrent.futures
import hashlib
import hmac
import json
import logging
import os
import re
import threading
import time
import urllib.error
import urllib.request
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

logger = logging.getLogger(__name__)

#: Dallinger's control channel: connect, disconnect and subscription events, and the server's
#: answers to one socket (snapshots, error frames).
CONTROL_CHANNEL = "dallinger_control"
#: The waiting room's channel: the quorum state, groups formed by arrival, waiters released.
QUORUM_CHANNEL = "quorum"
#: A group's own channel is this prefix and its network's id (`group_channel`): what the server
#: says to one group (a pause, a replacement, its end, an experiment's round) reaches its
#: members only, and no client can speak on it.
GROUP_CHANNEL_PREFIX = "dallinger_group_"

#: Channels on which a socket bound to a participant also hears what the server says to that
#: participant alone (`publish_to_participant`): the waiting room's group and release frames.
PERSONAL_CHANNELS = frozenset({QUORUM_CHANNEL})

#: The web server's route that takes frames from other processes (embedded default only).
RELAY_PATH = "/_realtime/publish"
#: Header that carries the relay request's signature.
SIGNATURE_HEADER = "X-Dallinger-Signature"
#: Header that carries when the relay request was signed (Unix seconds), which the signature covers.
TIMESTAMP_HEADER = "X-Dallinger-Timestamp"
#: Seconds a signed relay request is taken for (it comes over loopback within milliseconds).
RELAY_MAX_AGE = 60
#: Seconds a relay request may seem to come from the future (clocks of two processes of one
#: machine agree; this allows for the second being rounded).
RELAY_MAX_SKEW = 5
#: The consumer's handler for frames sent to its groups (`chat_frame`).
FRAME_EVENT = "chat.frame"

_SAFE_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,80}$")
_serving_websockets = False
#: The ids of the relay requests taken within their window, with when each may be forgotten:
#: a request played again inside its minute is refused. The relay runs in the one web process
#: of the embedded default, so this process's memory sees every request.
_relay_ids_taken: dict[str, float] = {}
_relay_ids_lock = threading.Lock()


def serve_websockets_here() -> None:
    """Mark this process as the one whose channel layer holds the sockets (the ASGI server)."""
    global _serving_websockets
    _serving_websockets = True


def group_name(channel: str) -> str:
    """The channel layer group of `channel`: readable when the name is safe, hashed otherwise.

    Layer group names allow only ASCII letters, digits, `-_.` and fewer than 100 characters;
    the two forms cannot collide (only hashed names have a second dot).
    """
    if _SAFE_NAME.match(channel):
        return f"chat.{channel}"
    return "chat.x." + hashlib.sha256(channel.encode()).hexdigest()


def participant_group_name(participant_id: int, channel: str) -> str:
    """The layer group of one participant's own sockets on `channel`: what the server says to
    that participant alone there (`publish_to_participant`). No client can join or name it;
    it cannot collide with `group_name`'s groups (their second part is never `p`)."""
    digest = hashlib.sha256(channel.encode()).hexdigest()[:40]
    return f"chat.p.{int(participant_id)}.{digest}"


def group_channel(network_id: int) -> str:
    """The channel of the group playing in network `network_id`."""
    return f"{GROUP_CHANNEL_PREFIX}{int(network_id)}"


def group_channel_network(channel: str) -> int | None:
    """The network id a group's channel names; None for any other name (`dallinger_group_07`
    included: one group has one channel)."""
    suffix = channel[len(GROUP_CHANNEL_PREFIX) :] if channel.startswith(GROUP_CHANNEL_PREFIX) else ""
    if not (suffix.isascii() and suffix.isdigit()) or group_channel(int(suffix)) != channel:
        return None
    return int(suffix)


def frame(channel: str, payload: str | dict) -> str:
    """The text frame `"<channel>:<payload>"` (dict payloads as JSON)."""
    if not isinstance(payload, str):
        payload = json.dumps(payload)
    return f"{channel}:{payload}"


def relay_in_use() -> bool:
    """Whether frames from other processes reach the web server through the relay route: the
    embedded default, without Redis. With Redis, every process shares the channel layer."""
    return not settings.REDIS_URL


def _uses_relay() -> bool:
    return relay_in_use() and not _serving_websockets


def publish(channel: str, payload: str | dict) -> None:
    """Deliver `"<channel>:<payload>"` to every socket subscribed to `channel`, in every process,
    once the current transaction commits (at once outside a transaction).

    A delivery that fails (the web server is down) is logged, never raised: the change that
    published has already committed.
    """
    text = frame(channel, payload)
    transaction.on_commit(lambda: _deliver(channel, text))


def publish_to_participant(participant_id: int, channel: str, payload: str | dict) -> None:
    """Deliver `"<channel>:<payload>"` only to the sockets of participant `participant_id` that
    are subscribed to `channel` and bound to them (by `participant_id` and their cookie), in
    every process, once the current transaction commits. Other sockets on `channel` hear
    nothing of it: what concerns one participant (their group, their release) is theirs.

    Only the channels of `PERSONAL_CHANNELS` join these groups (the consumer's rule)."""
    text = frame(channel, payload)
    transaction.on_commit(lambda: _deliver(channel, text, participant_id=int(participant_id)))


def _deliver(channel: str, text: str, participant_id: int | None = None) -> None:
    try:
        if _uses_relay():
            _post_to_relay(channel, text, participant_id)
        elif participant_id is None:
            _send(group_send, channel, text)
        else:
            _send(layer_send, participant_group_name(participant_id, channel), text)
    except OSError as error:  # the web server is not running (or not reachable)
        logger.warning("Could not publish a frame on channel %r: %s", channel, error)
    except Exception:  # a lost frame must not break the request or task that committed
        logger.exception("Could not publish a frame on channel %r.", channel)


#: Seconds a frame from synchronous code may take to reach the channel layer before it is
#: given up (and logged): Redis unreachable must not hold a request.
SEND_TIMEOUT = 10.0


class _SenderLoop:
    """An event loop of this process's own, run in a thread, that sends the frames synchronous
    code publishes (the WSGI servers' request threads, the Celery worker's tasks).

    `async_to_sync` called where no event loop runs makes a new loop in a new thread for each
    call, and channels-redis, which keeps its connections per loop, then opens a new Redis
    connection each time: 2.9 ms of CPU and 7 ms per frame (benchmarks/README.md, "The
    waiting-room flow"). This loop lives as long as the process, so its connections do too.
    Started on first use in each process (never across a fork: a child starts its own).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid: int | None = None

    def run(self, coroutine, timeout: float = SEND_TIMEOUT):
        """Run `coroutine` on the loop and wait for it (TimeoutError after `timeout` seconds)."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self._running())
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def _running(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="realtime-sender", daemon=True).start()
                self._loop, self._pid = loop, os.getpid()
            return self._loop


_sender_loop = _SenderLoop()


def _send(send, *arguments) -> None:
    """Run the coroutine function `send` from synchronous code: on the process's sender loop
    with Redis, outside the websocket server (whose own loop `async_to_sync` uses; the
    in-memory layer lives on that loop)."""
    if settings.REDIS_URL and not _serving_websockets:
        _sender_loop.run(send(*arguments))
    else:
        async_to_sync(send)(*arguments)


async def group_send(channel: str, text: str) -> None:
    """Send a frame to the sockets of `channel` through this process's channel layer."""
    await layer_send(group_name(channel), text)


async def layer_send(layer_group: str, text: str) -> None:
    """Send a frame to the sockets in channel layer group `layer_group`."""
    await get_channel_layer().group_send(layer_group, {"type": FRAME_EVENT, "text": text})


def relay_signature(timestamp: str, body: bytes) -> str:
    """The signature of a relay request sent at `timestamp` (Unix seconds, as text) with `body`."""
    key = hashlib.sha256(b"dallinger.realtime.relay:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _post_to_relay(channel: str, text: str, participant_id: int | None = None) -> None:
    data = {"id": uuid.uuid4().hex, "channel": channel, "text": text}
    if participant_id is not None:
        data["participant_id"] = participant_id
    body = json.dumps(data).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        settings.DALLINGER_BASE_URL.rstrip("/") + RELAY_PATH,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: relay_signature(timestamp, body),
        },
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        response.read()


@csrf_exempt
@require_POST
def relay_view(request):
    """The relay route: a frame from another process, signed within the last `RELAY_MAX_AGE`
    seconds, sent to this server's sockets."""
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not hmac.compare_digest(signature, relay_signature(timestamp, request.body)):
        return _refused("The relay takes only signed requests.")
    # Signed, so the time is the sender's; an old one is a captured request played again.
    age = time.time() - int(timestamp) if timestamp.isascii() and timestamp.isdigit() else None
    if age is None or age > RELAY_MAX_AGE or age < -RELAY_MAX_SKEW:
        return _refused(f"The relay takes only requests signed within the last {RELAY_MAX_AGE} seconds.")
    try:
        data = json.loads(request.body)
        request_id, channel, text = data["id"], data["channel"], data["text"]
        participant_id = data.get("participant_id")
        if not all(isinstance(value, str) for value in (request_id, channel, text)) or not text.startswith(
            channel + ":"
        ):
            raise ValueError
        if participant_id is not None and (type(participant_id) is not int or participant_id < 1):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return JsonResponse(
            {"status": "error", "message": "Expected JSON with a request id, a channel and its frame."}, status=400
        )
    if not _relay_id_claim(request_id):
        return _refused("The relay took this request already.")
    if participant_id is None:
        _send(group_send, channel, text)
    else:
        _send(layer_send, participant_group_name(participant_id, channel), text)
    return JsonResponse({"status": "success"})


def _relay_id_claim(request_id: str) -> bool:
    """Whether `request_id` is new within the relay's window (and now taken)."""
    now = time.time()
    with _relay_ids_lock:
        for taken, forget_at in list(_relay_ids_taken.items()):
            if forget_at < now:
                del _relay_ids_taken[taken]
        if request_id in _relay_ids_taken:
            return False
        _relay_ids_taken[request_id] = now + RELAY_MAX_AGE + RELAY_MAX_SKEW
        return True


def _refused(message: str) -> JsonResponse:
    return JsonResponse({"status": "error", "message": message}, status=403)
