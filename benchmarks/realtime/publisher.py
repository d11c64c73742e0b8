"""Broadcasts for the websocket benchmark: `rate` messages a second to one channel, for `duration` seconds.

    python -m benchmarks.realtime.publisher --channel broadcast --rate 5 --duration 60            # core.realtime.publish
    python -m benchmarks.realtime.publisher --websocket ws://127.0.0.1:8099/chat --channel broadcast  # as a client

By default it publishes as the server side does (an experiment's `publish_to_subscribers`, a
Celery task): `core.realtime.publish` in a Django process of its own, with the layout's
environment (REDIS_URL: through channels-redis). With `--websocket` it sends the frames over a
socket instead, for the trivial server of the generator's ceiling. Each payload carries the
time it was published (`t`) and its number (`n`); the last line printed is a JSON summary.
"""

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def payload(number: int) -> dict:
    return {"t": round(time.time(), 6), "n": number}


def ticks(rate: float, duration: float):
    """Sleep to each publishing moment (fixed schedule, so a slow publish does not lower the rate)."""
    started = time.monotonic()
    number = 0
    while number < rate * duration:
        delay = started + number / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        yield number
        number += 1


def publish_in_django(channel: str, rate: float, duration: float) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dallinger_project.settings")
    import django

    django.setup()
    from benchmarks.load.stats import summarise
    from core.realtime import publish

    calls = []
    began = time.monotonic()
    for number in ticks(rate, duration):
        started = time.perf_counter()
        publish(channel, payload(number))
        calls.append(time.perf_counter() - started)
    elapsed = time.monotonic() - began
    # Each publish returns once the frame has left this process (with Redis, once channels-redis
    # has queued it; through the relay, once the web server has answered the POST), so the
    # rate reached shows what one publishing process can send.
    return {
        "published": len(calls),
        "via": "core.realtime.publish",
        "seconds": round(elapsed, 2),
        "published_per_s": round(len(calls) / elapsed, 1) if elapsed else None,
        "slowest_publish_ms": round(1000 * max(calls, default=0.0), 2),
        "publish_call": summarise(calls),
    }


async def publish_over_socket(url: str, channel: str, rate: float, duration: float) -> dict:
    from websockets.asyncio.client import connect

    host = url.split("://", 1)[1].split("/", 1)[0]
    async with connect(f"{url}?channel=publisher", origin=f"http://{host}", compression=None,
                       ping_interval=None) as socket:  # fmt: skip
        started = time.monotonic()
        count = 0
        while count < rate * duration:
            delay = started + count / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await socket.send(f"{channel}:{json.dumps(payload(count))}")
            count += 1
    return {"published": count, "via": "websocket"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--channel", default="broadcast")
    parser.add_argument("--rate", type=float, default=5.0, help="messages a second (default 5)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds (default 60)")
    parser.add_argument("--websocket", metavar="URL", help="send over a socket to this /chat URL instead")
    options = parser.parse_args(argv)
    if options.websocket:
        summary = asyncio.run(publish_over_socket(options.websocket, options.channel, options.rate, options.duration))
    else:
        summary = publish_in_django(options.channel, options.rate, options.duration)
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
