"""The load generator's own ceiling: the flow against a server that answers instantly.

    .venv/bin/python benchmarks/load/ceiling.py            # writes benchmarks/results/load-generator-ceiling.json

Starts `trivial_server.py` in a process of its own on a free loopback port, runs the generator
against it at each concurrency, and records the figures next to the real runs (load.md), so
that a real run's throughput can be read against what the generator alone can drive.
"""

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.load import report  # noqa: E402
from benchmarks.load.generator import format_summary, run_load  # noqa: E402
from benchmarks.load.procstat import wait_quiet  # noqa: E402

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the trivial server did not start")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", default="10,50", help="comma-separated levels (default 10,50)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per level (default 10)")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                        help="before each level, wait up to this long for the machine to be idle")  # fmt: skip
    options = parser.parse_args(argv)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.load.trivial_server", "--port", str(port)],
        cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    levels = []
    try:
        wait_for(port, server)
        for concurrency in [int(value) for value in options.concurrency.split(",")]:
            quiet = wait_quiet(options.wait_quiet) if options.wait_quiet > 0 else None
            result = asyncio.run(
                run_load(f"http://127.0.0.1:{port}", concurrency=concurrency, duration=options.duration,
                         watch={"server": server.pid})
            )  # fmt: skip
            result["machine_before"] = quiet
            generator_cpu = result["processes"]["generator"]["cpu_seconds"]
            # What one core could drive if the generator had it to itself.
            result["generator_cpu_us_per_request"] = round(1e6 * generator_cpu / max(result["requests"], 1), 1)
            print(format_summary(result), flush=True)
            print(f"  generator CPU per request: {result['generator_cpu_us_per_request']} µs", flush=True)
            levels.append(result)
    finally:
        server.terminate()
        server.wait(10)
    record = {
        "name": "generator-ceiling",
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "server": "trivial",
        "experiment": "-",
        "duration_s": options.duration,
        "machine": {"cpus": os.cpu_count(), "load_average_at_end": os.getloadavg()},
        "levels": levels,
    }
    report.record_load_result(record, options.results, "generator-ceiling")
    return 0


if __name__ == "__main__":
    sys.exit(main())
