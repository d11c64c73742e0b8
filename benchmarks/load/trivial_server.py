"""A server that answers the flow's requests instantly, to measure the load generator's own ceiling.

    python -m benchmarks.load.trivial_server --port 8099

It parses each request as a real server must (request line, headers, Content-Length body),
keeps connections alive, and answers every route of the flow with a fixed JSON body.
"""

import argparse
import asyncio
import itertools
import json
import sys

_ids = itertools.count(1)


def _body(method: str, path: str) -> bytes:
    if path.startswith("/participant/"):
        payload = {"participant": {"id": next(_ids), "status": "working"}}
    elif path.endswith("/received_infos") or path.endswith("/infos"):
        payload = {"infos": [{"id": 1, "contents": "A story."}]}
    elif path.startswith("/node/") and method == "POST":
        payload = {"node": {"id": next(_ids)}}
    elif path.startswith("/info/"):
        payload = {"info": {"id": next(_ids)}}
    else:
        payload = {}
    return json.dumps({"status": "success", **payload}).encode()


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer requests on one connection until the client closes it."""
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return
            lines = head[:-4].split(b"\r\n")
            method, path, _ = lines[0].decode("latin-1").split(" ", 2)
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length:
                await reader.readexactly(length)
            body = _body(method, path)
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (len(body), body)
            )
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def serve(host: str, port: int) -> None:
    server = await asyncio.start_server(handle, host, port, backlog=1024)
    print(f"trivial server on {host}:{port}", flush=True)
    async with server:
        await server.serve_forever()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    options = parser.parse_args(argv)
    try:
        asyncio.run(serve(options.host, options.port))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
