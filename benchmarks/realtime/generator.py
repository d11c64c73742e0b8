"""The websocket load generator: many `/chat` clients in rooms, each timing every frame it receives.

    .venv/bin/python benchmarks/realtime/generator.py --url ws://127.0.0.1:8000/chat --rooms 10 --room-size 20

One asyncio process (uvloop when installed) holds every socket, through the `websockets`
package without compression (its framing and masking are partly in C). Phases:

1. open: every client connects (at most `connect_concurrency` handshakes in flight); the
   connection rate is clients / the time to open them all;
2. steady: for `duration` seconds each sending client sends
   `<room>:{"t": <time.time()>, "s": <client>, "n": <sequence>}` to its room every
   `interval` seconds (each at its own random phase), while `publisher` (a command, run as a
   subprocess) publishes to the broadcast room; every receiver notes `time.time() - t`;
3. drain: sending stops, the clients keep reading until no frame has come for `drain`
   seconds (a minute at most: a frame later than that counts as lost), then close.

Every process is on this machine, so all read the same clock. A message counts as lost for
each room member that was connected when it was sent and never received it (the sender
included: the server sends a room's frames back to their sender too, as Dallinger's does).
"""

import argparse
import asyncio
import json
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import WebSocketException  # noqa: E402

from benchmarks.load.procstat import TreeWatcher, memory_kib, process_tree  # noqa: E402
from benchmarks.load.stats import summarise  # noqa: E402


@dataclass
class Client:
    """One simulated browser: the channel it joins, its participant and cookie, whether it sends."""

    index: int
    channel: str
    sends: bool
    participant_id: int | None = None
    cookie: str = ""


class Tally:
    """What was sent and what arrived, shared by every client of the run."""

    def __init__(self):
        self.sent = {}  # (sender, sequence) -> members of the room connected at sending
        self.received = {}  # (sender, sequence) -> deliveries
        self.room_latencies = []
        self.broadcast_latencies = []
        self.broadcast_received = 0
        self.stray = 0  # frames that are neither a room message of this run nor a broadcast
        self.errors = {}
        self.send_failures = 0
        self.last_frame = time.monotonic()

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def plan(rooms: int, room_size: int, broadcast_size: int, broadcast_channel: str) -> list[Client]:
    """The clients: `rooms` rooms of `room_size` senders, and `broadcast_size` listeners."""
    clients = [Client(i, f"room{i // room_size:04d}", True) for i in range(rooms * room_size)]
    clients += [Client(len(clients) + i, broadcast_channel, False) for i in range(broadcast_size)]
    return clients


class Run:
    """One run of the generator over a list of clients."""

    def __init__(self, url: str, clients: list[Client], *, broadcast_channel: str, interval: float,
                 connect_concurrency: int, origin: str):  # fmt: skip
        self.url = url
        self.clients = clients
        self.broadcast_channel = broadcast_channel
        self.interval = interval
        self.connect_concurrency = connect_concurrency
        self.origin = origin
        self.tally = Tally()
        self.sockets = {}  # client index -> open websocket
        self.members = {}  # channel -> connected clients
        self.handshake_seconds = []
        self.sending = False

    async def open_one(self, client: Client, gate: asyncio.Semaphore) -> None:
        query = f"?channel={client.channel}"
        if client.participant_id is not None:
            query += f"&participant_id={client.participant_id}&worker_id=w{client.participant_id}"
        headers = {"Cookie": client.cookie} if client.cookie else None
        async with gate:
            started = time.perf_counter()
            try:
                socket = await connect(
                    self.url + query, additional_headers=headers, origin=self.origin, compression=None,
                    open_timeout=120, ping_interval=None, close_timeout=5, max_queue=4096,
                )  # fmt: skip
            except (OSError, asyncio.TimeoutError, WebSocketException) as error:
                status = getattr(getattr(error, "response", None), "status_code", None)
                self.tally.error(f"connect: {type(error).__name__}" + (f" {status}" if status else ""))
                return
            self.handshake_seconds.append(time.perf_counter() - started)
        self.sockets[client.index] = socket
        self.members[client.channel] = self.members.get(client.channel, 0) + 1

    async def open_all(self) -> dict:
        """Connect every client; the connection rate and handshake latencies."""
        gate = asyncio.Semaphore(self.connect_concurrency)
        started = time.perf_counter()
        await asyncio.gather(*(self.open_one(client, gate) for client in self.clients))
        elapsed = time.perf_counter() - started
        return {
            "clients": len(self.clients),
            "connected": len(self.sockets),
            "seconds": round(elapsed, 2),
            "connections_per_s": round(len(self.sockets) / elapsed, 1) if elapsed else None,
            "handshake": summarise(self.handshake_seconds),
            "in_flight": self.connect_concurrency,
        }

    async def read(self, client: Client) -> None:
        """Take every frame this client receives and time it."""
        socket = self.sockets[client.index]
        tally = self.tally
        try:
            async for text in socket:
                now = time.time()
                tally.last_frame = time.monotonic()
                channel, _, payload = text.partition(":")
                if channel == client.channel:
                    try:
                        data = json.loads(payload)
                        sent_at = data["t"]
                    except (ValueError, KeyError, TypeError):
                        tally.stray += 1
                        continue
                    if "s" in data:
                        key = (data["s"], data["n"])
                        if key in tally.sent:
                            tally.received[key] = tally.received.get(key, 0) + 1
                            tally.room_latencies.append(now - sent_at)
                        else:
                            tally.stray += 1
                    else:
                        tally.broadcast_received += 1
                        tally.broadcast_latencies.append(now - sent_at)
                elif '"type": "error"' in payload or '"type":"error"' in payload:
                    tally.error("error frame: " + payload[:120])
                else:
                    tally.stray += 1
        except WebSocketException as error:
            tally.error(f"read: {type(error).__name__}")

    async def send_loop(self, client: Client, until: float) -> None:
        """Send to the room every `interval` seconds, at a random phase, until `until`."""
        socket = self.sockets[client.index]
        await asyncio.sleep(random.uniform(0, self.interval))
        sequence = 0
        tally = self.tally
        while self.sending and time.monotonic() < until:
            key = (client.index, sequence)
            tally.sent[key] = self.members[client.channel]
            text = f'{client.channel}:{{"t": {time.time():.6f}, "s": {client.index}, "n": {sequence}}}'
            try:
                await socket.send(text)
            except WebSocketException:
                del tally.sent[key]
                tally.send_failures += 1
                return
            sequence += 1
            # The steady phase ends at `until`, not an interval after a client's last send.
            await asyncio.sleep(min(self.interval, max(0.0, until - time.monotonic())))


async def run_publisher(command: list[str]) -> dict:
    """Run the broadcast publisher to its end; its JSON summary (the last line it prints)."""
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE, cwd=REPO_ROOT)
    output, _ = await process.communicate()
    lines = output.decode().strip().splitlines()
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"the publisher failed (exit {process.returncode}): {output.decode()[-500:]}")
    return json.loads(lines[-1])


#: The generator is measured alone: its children (the publisher, and the layout when run.py
#: started it) are watched under their own names.
ALONE = frozenset({"generator"})


def _memory(watch: dict[str, int]) -> dict:
    """Summed RSS of each watched process tree (the generator's own process alone), in KiB."""
    return {name: memory_kib([pid] if name in ALONE else process_tree(pid))["rss_kib"] for name, pid in watch.items()}


async def run_clients(url: str, clients: list[Client], *, duration: float, interval: float = 10.0,
                      drain: float = 5.0, broadcast_channel: str = "broadcast", publisher: list[str] | None = None,
                      connect_concurrency: int = 100, watch: dict[str, int] | None = None,
                      origin: str | None = None) -> dict:  # fmt: skip
    """Open the clients, run the steady phase (with `publisher`), drain, close; every figure."""
    watch = {**(watch or {}), "generator": os.getpid()}
    origin = origin or "http://" + url.split("://", 1)[1].split("/", 1)[0]
    run = Run(url, clients, broadcast_channel=broadcast_channel, interval=interval,
              connect_concurrency=connect_concurrency, origin=origin)  # fmt: skip
    memory_before = _memory(watch)
    opening = await run.open_all()
    await asyncio.sleep(2)  # let the servers settle (and subscribe) before measuring memory
    memory_after = _memory(watch)
    connected = max(len(run.sockets), 1)
    memory = {
        name: {
            "before_mib": round(memory_before[name] / 1024, 1),
            "after_mib": round(memory_after[name] / 1024, 1),
            "per_connection_kib": round((memory_after[name] - memory_before[name]) / connected, 1),
        }
        for name in watch
    }
    readers = [asyncio.create_task(run.read(client)) for client in clients if client.index in run.sockets]
    watcher = TreeWatcher(watch, single=ALONE)
    watcher.start()
    own_cpu = time.process_time()
    started = time.monotonic()
    run.sending = True
    senders = [
        asyncio.create_task(run.send_loop(client, started + duration))
        for client in clients
        if client.sends and client.index in run.sockets
    ]
    published = None
    if publisher:
        published = await run_publisher(publisher)
    await asyncio.gather(*senders)
    run.sending = False
    steady = time.monotonic() - started
    # Late frames are not lost: read until none has come for `drain` seconds (a minute at most).
    drain_started = time.monotonic()
    while time.monotonic() - max(run.tally.last_frame, drain_started) < drain and time.monotonic() - drain_started < 60:
        await asyncio.sleep(0.5)
    drained = time.monotonic() - drain_started
    elapsed = time.monotonic() - started
    processes = watcher.finish(elapsed)
    # The generator's own CPU, without the exited publisher's that /proc counts as its parent's.
    own_cpu = time.process_time() - own_cpu
    processes["generator"].update(cpu_seconds=round(own_cpu, 2), cpu_cores=round(own_cpu / elapsed, 3))
    closing = time.perf_counter()
    await asyncio.gather(*(socket.close() for socket in run.sockets.values()), return_exceptions=True)
    await asyncio.gather(*readers, return_exceptions=True)
    tally = run.tally
    expected_room = sum(tally.sent.values())
    received_room = sum(tally.received.values())
    expected_broadcast = (published or {}).get("published", 0) * run.members.get(broadcast_channel, 0)
    delivered = received_room + tally.broadcast_received
    # CPU per delivered frame: what a frame costs each process, less disturbed by others'
    # load on the machine than the latencies are.
    cpu_per_delivery = {
        name: round(1e6 * figures["cpu_seconds"] / delivered, 1)
        for name, figures in processes.items()
        if name != "machine" and delivered
    }
    return {
        "open": opening,
        "memory": memory,
        "steady_s": round(steady, 1),
        "drain_s": round(drained, 1),
        "close_s": round(time.perf_counter() - closing, 2),
        "room": {
            "messages_sent": len(tally.sent),
            "expected_deliveries": expected_room,
            "received": received_room,
            "lost": expected_room - received_room,
            "deliveries_per_s": round(received_room / steady, 1) if steady else None,
            "latency": summarise(tally.room_latencies),
        },
        "broadcast": {
            "publisher": published,
            "listeners": run.members.get(broadcast_channel, 0),
            "expected_deliveries": expected_broadcast,
            "received": tally.broadcast_received,
            "lost": expected_broadcast - tally.broadcast_received,
            "latency": summarise(tally.broadcast_latencies),
        },
        "all_latency": summarise(tally.room_latencies + tally.broadcast_latencies),
        "lost": expected_room - received_room + expected_broadcast - tally.broadcast_received,
        "stray_frames": tally.stray,
        "send_failures": tally.send_failures,
        "errors": tally.errors,
        "processes": processes,
        "cpu_us_per_delivery": cpu_per_delivery,
    }


def format_summary(result: dict) -> str:
    """A few readable lines of a run's figures."""
    opening, room, broadcast = result["open"], result["room"], result["broadcast"]
    lines = [
        f"  open        {opening['connected']}/{opening['clients']} clients in {opening['seconds']} s: "
        f"{opening['connections_per_s']} connections/s (handshake p50 {opening['handshake'].get('p50_ms')} ms, "
        f"p99 {opening['handshake'].get('p99_ms')} ms)",
        "  memory      " + ", ".join(
            f"{name} {figures['before_mib']}→{figures['after_mib']} MiB ({figures['per_connection_kib']} KiB/conn)"
            for name, figures in result["memory"].items()
        ),
        f"  rooms       {room['messages_sent']} messages, {room['received']}/{room['expected_deliveries']} deliveries "
        f"({room['lost']} lost), {room['deliveries_per_s']}/s; latency p50 {room['latency'].get('p50_ms')} ms, "
        f"p99 {room['latency'].get('p99_ms')} ms, max {room['latency'].get('max_ms')} ms",
        f"  broadcast   {(broadcast['publisher'] or {}).get('published')} published to {broadcast['listeners']}: "
        f"{broadcast['received']}/{broadcast['expected_deliveries']} ({broadcast['lost']} lost); latency p50 "
        f"{broadcast['latency'].get('p50_ms')} ms, p99 {broadcast['latency'].get('p99_ms')} ms, "
        f"max {broadcast['latency'].get('max_ms')} ms",
        f"  all         p50 {result['all_latency'].get('p50_ms')} ms, p99 {result['all_latency'].get('p99_ms')} ms; "
        f"lost {result['lost']}; stray {result['stray_frames']}; errors {result['errors'] or 0}",
        "  cpu         " + ", ".join(
            f"{name} {figures['cpu_cores']}" for name, figures in result["processes"].items() if name != "machine"
        ) + f" cores; others on the machine {result['processes']['machine']['other_cpu_seconds']} s",
        "  per frame   " + ", ".join(f"{name} {value} µs" for name, value in result["cpu_us_per_delivery"].items())
        + " of CPU per delivery",
    ]  # fmt: skip
    return "\n".join(lines)


def event_loop_policy() -> None:
    """uvloop when it is installed: less CPU per frame in the generator."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="ws://127.0.0.1:<port>/chat")
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--room-size", type=int, default=20)
    parser.add_argument("--broadcast-size", type=int, default=0)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--interval", type=float, default=10.0)
    options = parser.parse_args(argv)
    event_loop_policy()
    clients = plan(options.rooms, options.room_size, options.broadcast_size, "broadcast")
    result = asyncio.run(run_clients(options.url, clients, duration=options.duration, interval=options.interval))
    print(format_summary(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
