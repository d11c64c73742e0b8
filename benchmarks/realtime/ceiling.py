"""The websocket generator's own ceiling: the same clients against a server that only fans out.

    .venv/bin/python benchmarks/realtime/ceiling.py          # writes benchmarks/results/realtime-generator-ceiling.json

Starts `trivial_server.py` in a process of its own on a free loopback port and runs the
generator against it with the benchmark's clients (100 rooms of 20 and a broadcast room of
500 by default) at each `--scale`: the message rates multiplied (each client sends every
interval / scale seconds; scale × 5 broadcasts a second, sent by one client). Latency and
loss here are what the generator (and a minimal server) add on their own, so the real run's
figures above them are the server's.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.load.ceiling import free_port, wait_for  # noqa: E402
from benchmarks.load.procstat import wait_quiet  # noqa: E402
from benchmarks.realtime.generator import event_loop_policy, format_summary, plan, run_clients  # noqa: E402
from benchmarks.realtime.run import package_versions  # noqa: E402

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--room-size", type=int, default=20)
    parser.add_argument("--broadcast-size", type=int, default=500)
    parser.add_argument("--scale", default="1,5", help="message-rate multipliers, comma-separated (default 1,5)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of steady load per scale (default 30)")
    parser.add_argument("--name", default="generator-ceiling", help="the results' name: realtime-<name>.json")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                        help="before each scale, wait up to this long for the machine to be idle")  # fmt: skip
    options = parser.parse_args(argv)
    event_loop_policy()
    levels = []
    for scale in [float(value) for value in options.scale.split(",")]:
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "benchmarks.realtime.trivial_server", "--port", str(port)],
                                  cwd=REPO_ROOT, stdout=subprocess.DEVNULL)  # fmt: skip
        try:
            wait_for(port, server)
            quiet = wait_quiet(options.wait_quiet) if options.wait_quiet > 0 else None
            url = f"ws://127.0.0.1:{port}/chat"
            publisher = [sys.executable, "-m", "benchmarks.realtime.publisher", "--websocket", url,
                         "--rate", str(5 * scale), "--duration", str(options.duration)]  # fmt: skip
            clients = plan(options.rooms, options.room_size, options.broadcast_size, "broadcast")
            load_before = os.getloadavg()
            result = asyncio.run(
                run_clients(url, clients, duration=options.duration, interval=10 / scale, publisher=publisher,
                            watch={"server": server.pid})
            )  # fmt: skip
            result["scale"] = scale
            result["machine"] = {
                "before": quiet,
                "load_average_before": load_before,
                "load_average_after": os.getloadavg(),
            }
            print(f"scale {scale}:\n{format_summary(result)}", flush=True)
            levels.append(result)
        finally:
            server.terminate()
            server.wait(10)
    record = {
        "name": options.name,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "target": "benchmarks/realtime/trivial_server.py",
        "load": {
            "rooms": options.rooms,
            "room_size": options.room_size,
            "broadcast_size": options.broadcast_size,
            "duration_s": options.duration,
        },  # fmt: skip
        "machine": {"cpus": os.cpu_count(), "load_average_at_end": os.getloadavg()},
        "versions": {"python": sys.version.split()[0], **package_versions()},
        "levels": levels,
    }
    options.results.mkdir(parents=True, exist_ok=True)
    path = options.results / f"realtime-{options.name}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
