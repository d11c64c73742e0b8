"""The load generator: N concurrent simulated participants, bounded by time and a participant cap.

    python -m benchmarks.load.generator --url http://127.0.0.1:8000 --concurrency 25 --duration 20 \
        --watch web=<pid> --watch postgres=<pid> --json out.json

Each of the N slots takes one participant after another through a flow (`--flow`: the
Bartlett1932 demo's, or the waiting room's; benchmarks/load/flow.py), each participant on a
new keep-alive connection, with no think time (a closed loop: the offered load
is whatever the server can take at that concurrency). No new participant starts after
`--duration` seconds or once `--max-participants` have started; those in flight finish, each
request bounded by `--timeout`. Only loopback addresses are accepted as targets.
"""

import argparse
import asyncio
import itertools
import json
import os
import resource
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `benchmarks.load` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.load.client import HTTPConnection, loopback_target  # noqa: E402
from benchmarks.load.flow import FLOWS  # noqa: E402
from benchmarks.load.procstat import TreeWatcher  # noqa: E402
from benchmarks.load.stats import Recorder  # noqa: E402

SAMPLE_INTERVAL = 0.5


async def run_load(
    url: str,
    *,
    concurrency: int,
    duration: float,
    max_participants: int = 100_000,
    timeout: float = 30.0,
    watch: dict[str, int] | None = None,
    run_tag: str | None = None,
    flow: str = "bartlett1932",
) -> dict:
    """Run `flow` at `concurrency` for `duration` seconds; the figures as a dict."""
    host, port = loopback_target(url)
    if concurrency < 1 or duration <= 0 or max_participants < 1:
        raise ValueError("concurrency, duration and max_participants must be positive")
    chosen = FLOWS[flow]
    recorder = Recorder()
    tag = run_tag or f"{os.getpid()}-{int(time.time() * 1000) % 10**9}"
    numbers = itertools.count(1)
    # The generator alone: when a runner calls it, the runner's children are the servers.
    watcher = TreeWatcher({**(watch or {}), "generator": os.getpid()}, single=frozenset({"generator"}))
    connects = []
    finished = []  # when each participant completed

    started = time.perf_counter()
    deadline = started + duration

    async def slot() -> None:
        while time.perf_counter() < deadline and recorder.participants_started < max_participants:
            recorder.participants_started += 1
            connection = HTTPConnection(host, port)
            try:
                if await chosen.run(connection, recorder, f"load-{tag}-{next(numbers)}", timeout):
                    recorder.participants_completed += 1
                    finished.append(time.perf_counter())
            finally:
                connects.append(connection.connects)
                await connection.close()

    async def sampler() -> None:
        while True:
            await asyncio.sleep(SAMPLE_INTERVAL)
            watcher.sample()

    watcher.start()
    sampling = asyncio.create_task(sampler())
    try:
        await asyncio.gather(*(slot() for _ in range(concurrency)))
    finally:
        sampling.cancel()
    elapsed = time.perf_counter() - started
    processes = watcher.finish(elapsed)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report = recorder.report(chosen.steps, chosen.waits)
    requests = recorder.requests()
    result = {
        "url": url,
        "flow": flow,
        "concurrency": concurrency,
        "duration_s": duration,
        "elapsed_s": round(elapsed, 2),
        "max_participants": max_participants,
        "participants_started": recorder.participants_started,
        "participants_completed": recorder.participants_completed,
        "participants_per_s": round(recorder.participants_completed / elapsed, 2),
        "participants_per_s_steady": steady_rate(finished, started, duration),
        "requests": requests,
        "requests_per_s": round(requests / elapsed, 1),
        "errors": report["errors"],
        "error_count": sum(report["errors"].values()),
        "notes": dict(recorder.notes),
        "connections_opened": sum(connects),
        "latency": report["overall"],
        "per_step": report["per_step"],
        "processes": processes,
        "generator_max_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "load_average": os.getloadavg(),
    }
    if "waits" in report:
        result["waits"] = report["waits"]
    return result


def steady_rate(finished: list[float], started: float, duration: float) -> float:
    """Participants completed per second in the second half of the load: the rate the servers
    keep up, without the first cycles' ramp or the drain after the deadline, which
    `participants_per_s` includes (in the waiting-room flow, the last arrivals, fewer than a
    group, wait out `group_max_wait_seconds` and the next sweep: 5 to 15 s of an idle machine)."""
    middle, deadline = started + duration / 2, started + duration
    return round(sum(middle <= moment <= deadline for moment in finished) / (duration / 2), 2)


def parse_watch(values: list[str]) -> dict[str, int]:
    """`name=pid` pairs into a dict."""
    watch = {}
    for value in values:
        name, separator, pid = value.partition("=")
        if not separator or not pid.isdigit():
            raise argparse.ArgumentTypeError(f"--watch takes NAME=PID, not {value!r}")
        watch[name] = int(pid)
    return watch


def format_summary(result: dict) -> str:
    """A few lines for a terminal."""
    latency = result["latency"]
    lines = [
        f"concurrency {result['concurrency']}: {result['participants_completed']} participants "
        f"({result['participants_per_s']}/s; steady {result['participants_per_s_steady']}/s), "
        f"{result['requests']} requests ({result['requests_per_s']}/s), errors {result['errors'] or 0}",
        f"  latency ms  p50 {latency['p50_ms']}  p95 {latency['p95_ms']}  p99 {latency['p99_ms']}  max {latency['max_ms']}",
    ]
    for name, figures in result.get("waits", {}).items():
        lines.append(
            f"  {name:<11} {figures['count']} waits, ms p50 {figures['p50_ms']}  p95 {figures['p95_ms']}  "
            f"p99 {figures['p99_ms']}  max {figures['max_ms']}"
        )
    for name, figures in result["processes"].items():
        if name == "machine":
            lines.append(f"  machine     busy {figures['busy_cpu_seconds']} s CPU, others {figures['other_cpu_seconds']} s")
        else:
            lines.append(
                f"  {name:<11} {figures['cpu_seconds']} s CPU ({figures['cpu_cores']} cores), "
                f"peak memory {figures['peak_memory_mib']} MiB (PSS) in {figures['processes']} processes"
            )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the server (loopback only)")
    parser.add_argument("--concurrency", type=int, default=10, help="participants in flight at once")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds during which participants start")
    parser.add_argument("--max-participants", type=int, default=100_000, help="at most this many participants")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a request may take")
    parser.add_argument("--watch", action="append", default=[], metavar="NAME=PID", help="a process tree to measure")
    parser.add_argument("--flow", choices=sorted(FLOWS), default="bartlett1932", help="the participants' flow")
    parser.add_argument("--json", type=Path, help="write the figures here")
    options = parser.parse_args(argv)
    result = asyncio.run(
        run_load(
            options.url,
            concurrency=options.concurrency,
            duration=options.duration,
            max_participants=options.max_participants,
            timeout=options.timeout,
            watch=parse_watch(options.watch),
            flow=options.flow,
        )
    )
    print(format_summary(result))
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
