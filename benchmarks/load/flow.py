"""One simulated Bartlett1932 participant: the bot's HTTP calls, timed step by step."""

import asyncio
import json
import time

from benchmarks.load.client import HTTPConnection
from benchmarks.load.stats import Recorder

#: The steps of the flow, in order (the names used in every report).
STEPS = ("participant", "node", "received_infos", "info", "infos", "question", "worker_complete")

RETELLING = (
    "A man went down to the river to hunt seals. Two canoes came out of the mist and the men "
    "in them asked him to come to war. He went, and heard that he had been shot, but felt no pain."
)
QUESTION_RESPONSE = json.dumps({"engagement": "4", "difficulty": "3"})


class StepFailed(Exception):
    """A step answered with an error: the participant stops there."""


async def participant_flow(
    connection: HTTPConnection, recorder: Recorder, worker_id: str, timeout: float
) -> bool:
    """Take one participant through the flow on `connection`; True if every step succeeded."""

    cookie = ""  # the participant's, as a browser keeps it from the creation's Set-Cookie

    async def step(name: str, method: str, path: str, form: dict | None = None) -> dict:
        nonlocal cookie
        started = time.perf_counter()
        try:
            response = await asyncio.wait_for(connection.request(method, path, form, cookie), timeout)
        except asyncio.TimeoutError:
            await connection.close()
            recorder.error(name, "timeout")
            raise StepFailed(name) from None
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            recorder.error(name, type(error).__name__)
            raise StepFailed(name) from None
        recorder.latency(name, time.perf_counter() - started, response.status)
        if response.status != 200:
            raise StepFailed(name)
        if "set-cookie" in response.headers:
            cookie = response.headers["set-cookie"].split(";", 1)[0]
        return json.loads(response.body) if response.body[:1] == b"{" else {}

    hit_id = "loadhit"
    assignment_id = f"{worker_id}-assignment"
    try:
        answer = await step("participant", "POST", f"/participant/{worker_id}/{hit_id}/{assignment_id}/debug")
        participant_id = answer["participant"]["id"]
        node_id = (await step("node", "POST", f"/node/{participant_id}"))["node"]["id"]
        infos = (await step("received_infos", "GET", f"/node/{node_id}/received_infos"))["infos"]
        if not infos:
            # The previous participant in the chain has not written yet: the story is on its way.
            recorder.note("no_story_received")
        await step("info", "POST", f"/info/{node_id}", {"contents": RETELLING, "info_type": "Info"})
        await step("infos", "GET", f"/node/{node_id}/infos")
        await step(
            "question", "POST", f"/question/{participant_id}",
            {"question": "questionnaire", "response": QUESTION_RESPONSE, "number": "1"},
        )  # fmt: skip
        await step("worker_complete", "GET", f"/worker_complete?participant_id={participant_id}")
    except (StepFailed, KeyError, TypeError, ValueError):
        return False
    return True
