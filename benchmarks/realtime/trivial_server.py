"""A websocket fan-out server that does nothing else, to measure the generator's own ceiling.

    python -m benchmarks.realtime.trivial_server --port 8099

It speaks `/chat`'s framing: a socket joins the channels of its `channel` query parameter, and
a text frame `"<channel>:<payload>"` goes at once to every socket of that channel (its sender
included). No participants, no database, no channel layer.
"""

import argparse
import asyncio
import sys
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import broadcast, serve

rooms: dict[str, set] = {}


async def handle(socket) -> None:
    query = parse_qs(urlsplit(socket.request.path).query)
    channels = [name for value in query.get("channel", []) for name in value.split(",") if name]
    for channel in channels:
        rooms.setdefault(channel, set()).add(socket)
    try:
        async for text in socket:
            if isinstance(text, str):
                channel = text.partition(":")[0]
                broadcast(rooms.get(channel, ()), text)
    finally:
        for channel in channels:
            rooms[channel].discard(socket)


async def main_async(host: str, port: int) -> None:
    async with serve(handle, host, port, compression=None, ping_interval=None, backlog=4096) as server:
        print(f"trivial websocket server on {host}:{port}", flush=True)
        await server.serve_forever()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    options = parser.parse_args(argv)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    try:
        asyncio.run(main_async(options.host, options.port))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
