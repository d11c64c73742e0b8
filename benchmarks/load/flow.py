"""One simulated participant: a bot's HTTP calls (and waiting-room socket), timed step by step.

Two flows:

- `bartlett1932`: the Bartlett1932 demo's seven calls, one participant at a time in a chain.
- `waiting_room`: the quorum game's (experiments/demos/quorumgame): sign up, wait on the
  waiting room's websocket until a group forms, then create a node, make a move and submit,
  with the socket held open until the end as the game's page holds it.
"""

import asyncio
import json
import random
import time
from dataclasses import dataclass
from typing import Awaitable, Callable
from urllib.parse import urlencode

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from benchmarks.load.client import HTTPConnection
from benchmarks.load.stats import Recorder
from bots.sockets import parse_frame, waiting_room_release
from core.realtime import QUORUM_CHANNEL

#: The steps of the Bartlett1932 flow, in order (the names used in every report).
STEPS = ("participant", "node", "received_infos", "info", "infos", "question", "worker_complete")
#: The requests of the waiting-room flow; its waits are reported apart (`WAITS`).
WAITING_ROOM_STEPS = ("participant", "node", "info", "worker_complete")
#: The waiting-room flow's waits: the websocket's opening handshake, the whole time from
#: opening it to the frame that releases the participant (the handshake included), and the
#: closing handshake at the end.
WAITS = ("socket_open", "waiting_room", "socket_close")

RETELLING = (
    "A man went down to the river to hunt seals. Two canoes came out of the mist and the men "
    "in them asked him to come to war. He went, and heard that he had been shot, but felt no pain."
)
QUESTION_RESPONSE = json.dumps({"engagement": "4", "difficulty": "3"})


class StepFailed(Exception):
    """A step answered with an error, or got no answer: the participant stops there."""


class Steps:
    """A participant's requests on one connection, with the cookie a browser would keep."""

    def __init__(self, connection: HTTPConnection, recorder: Recorder, timeout: float):
        self.connection = connection
        self.recorder = recorder
        self.timeout = timeout
        self.cookie = ""  # the participant's, as a browser keeps it from the creation's Set-Cookie

    async def step(self, name: str, method: str, path: str, form: dict | None = None) -> dict:
        """One timed request; its JSON answer, or StepFailed."""
        started = time.perf_counter()
        try:
            response = await asyncio.wait_for(self.connection.request(method, path, form, self.cookie), self.timeout)
        except asyncio.TimeoutError:
            await self.connection.close()
            self.recorder.error(name, "timeout")
            raise StepFailed(name) from None
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            self.recorder.error(name, type(error).__name__)
            raise StepFailed(name) from None
        self.recorder.latency(name, time.perf_counter() - started, response.status)
        if response.status != 200:
            raise StepFailed(name)
        if "set-cookie" in response.headers:
            self.cookie = response.headers["set-cookie"].split(";", 1)[0]
        return json.loads(response.body) if response.body[:1] == b"{" else {}


async def participant_flow(connection: HTTPConnection, recorder: Recorder, worker_id: str, timeout: float) -> bool:
    """Take one participant through the Bartlett1932 flow on `connection`; True if every step succeeded."""
    steps = Steps(connection, recorder, timeout)
    try:
        answer = await steps.step("participant", "POST", f"/participant/{worker_id}/loadhit/{worker_id}-assignment/debug")
        participant_id = answer["participant"]["id"]
        node_id = (await steps.step("node", "POST", f"/node/{participant_id}"))["node"]["id"]
        infos = (await steps.step("received_infos", "GET", f"/node/{node_id}/received_infos"))["infos"]
        if not infos:
            # The previous participant in the chain has not written yet: the story is on its way.
            recorder.note("no_story_received")
        await steps.step("info", "POST", f"/info/{node_id}", {"contents": RETELLING, "info_type": "Info"})
        await steps.step("infos", "GET", f"/node/{node_id}/infos")
        await steps.step(
            "question", "POST", f"/question/{participant_id}",
            {"question": "questionnaire", "response": QUESTION_RESPONSE, "number": "1"},
        )  # fmt: skip
        await steps.step("worker_complete", "GET", f"/worker_complete?participant_id={participant_id}")
    except (StepFailed, KeyError, TypeError, ValueError):
        return False
    return True


async def waiting_room_flow(connection: HTTPConnection, recorder: Recorder, worker_id: str, timeout: float) -> bool:
    """Take one participant through the waiting-room flow; True if every step succeeded."""
    steps = Steps(connection, recorder, timeout)
    socket = reader = None
    try:
        answer = await steps.step("participant", "POST", f"/participant/{worker_id}/loadhit/{worker_id}-assignment/debug")
        participant_id = answer["participant"]["id"]
        quorum = answer.get("quorum") or {}
        outcome = "play"
        grouping = bool(quorum.get("grouping"))
        if quorum.get("overrecruited"):
            outcome = "complete"
        elif grouping or quorum.get("n", 0) < quorum.get("q", 0):
            socket, outcome = await _wait_in_room(connection, recorder, steps.cookie, participant_id, grouping, timeout)
            # A page reads every frame its socket gets; unread ones would fill the client's
            # buffer, after which it reads nothing more, not even the server's closing frame.
            reader = asyncio.create_task(_drain(socket, recorder))
        if outcome == "play":
            node_id = (await steps.step("node", "POST", f"/node/{participant_id}"))["node"]["id"]
            await steps.step("info", "POST", f"/info/{node_id}", {"contents": str(random.randint(1, 10)), "info_type": "Info"})
        await steps.step("worker_complete", "GET", f"/worker_complete?participant_id={participant_id}")
    except (StepFailed, KeyError, TypeError, ValueError):
        return False
    finally:
        if socket is not None:
            started = time.perf_counter()
            await socket.close()
            recorder.wait("socket_close", time.perf_counter() - started)
        if reader is not None:
            await reader
    return True


async def _drain(socket, recorder: Recorder) -> None:
    """Read (and count) the frames the socket gets after the release, until it closes."""
    try:
        async for _ in socket:
            recorder.note("frames_after_release")
    except WebSocketException:
        pass


async def _wait_in_room(connection, recorder: Recorder, cookie: str, participant_id: int, grouping: bool, timeout: float):
    """Open the waiting room's socket as the participant and read until released: (the socket,
    left open, and "play" or "complete"); StepFailed on a timeout or a closed socket."""
    query = urlencode({"channel": QUORUM_CHANNEL, "participant_id": participant_id})
    origin = f"http://{connection.host}:{connection.port}"
    url = f"ws://{connection.host}:{connection.port}/chat?{query}"
    started = time.perf_counter()
    try:
        # The page's origin, as a browser sends it: the server refuses sockets from other sites.
        opening = connect(url, origin=origin, additional_headers={"Cookie": cookie}, compression=None, open_timeout=None)
        socket = await asyncio.wait_for(opening, timeout)
    except asyncio.TimeoutError:
        recorder.error("socket_open", "timeout")
        raise StepFailed("socket_open") from None
    except (OSError, WebSocketException) as error:
        recorder.error("socket_open", type(error).__name__)
        raise StepFailed("socket_open") from None
    recorder.wait("socket_open", time.perf_counter() - started)
    try:
        outcome = await asyncio.wait_for(_read_until_released(socket, participant_id, grouping), timeout)
    except asyncio.TimeoutError:
        await socket.close()
        recorder.error("waiting_room", "timeout")
        raise StepFailed("waiting_room") from None
    except WebSocketException as error:
        recorder.error("waiting_room", type(error).__name__)
        raise StepFailed("waiting_room") from None
    recorder.wait("waiting_room", time.perf_counter() - started)
    return socket, outcome


async def _read_until_released(socket, participant_id: int, grouping: bool) -> str:
    async for text in socket:
        frame = parse_frame(str(text))
        outcome = waiting_room_release(frame, participant_id, grouping) if frame else None
        if outcome is not None:
            return outcome
    raise WebSocketException("the server closed the waiting room's socket")


@dataclass(frozen=True)
class Flow:
    """A flow the generator can run: its request steps, its waits, and one participant's run."""

    steps: tuple[str, ...]
    waits: tuple[str, ...]
    run: Callable[[HTTPConnection, Recorder, str, float], Awaitable[bool]]


FLOWS = {
    "bartlett1932": Flow(STEPS, (), participant_flow),
    "waiting_room": Flow(WAITING_ROOM_STEPS, WAITS, waiting_room_flow),
}
