"""The embedded default's relay: frames published by another process, to sockets on `runexperiment`'s server.

    .venv/bin/python benchmarks/realtime/relay.py --wait-quiet 300     # writes benchmarks/results/realtime-relay.json

Without Redis (`runexperiment`'s embedded default) one daphne process serves HTTP and every
websocket on an SQLite file, with the in-memory channel layer; a Celery worker or a bot
process publishes by POSTing each signed frame to that server's relay route
(`core.realtime`, `/_realtime/publish`), which hands it to its sockets. This starts that
server as `runexperiment` does (daphne on the benchmark experiment, SQLite in a temporary
folder, no REDIS_URL), opens `--listeners` sockets on one channel, and at each rate of
`--rates` runs `publisher.py` in a process of its own (`core.realtime.publish`, which takes
the relay there) for `--duration` seconds: the frames a second the publisher reached, the time
each publish took (the POST's round trip), each frame's delivery latency to every socket and
what was lost, and the server's CPU per delivered frame.
"""

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.load.procstat import wait_quiet  # noqa: E402
from benchmarks.load.run import BENCHMARK_EXPERIMENT, free_port, manage, versions  # noqa: E402
from benchmarks.realtime.generator import event_loop_policy, format_summary, plan, run_clients  # noqa: E402
from benchmarks.realtime.run import package_versions  # noqa: E402
from experiments.running.processes import ChildProcess, wait_for_port  # noqa: E402

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
CHANNEL = "broadcast"


def embedded_environment(port: int, folder: Path) -> dict:
    """`runexperiment`'s environment without Redis: SQLite in `folder`, the server at `port`."""
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="dallinger_project.settings",
        DJANGO_DEBUG="False",
        DALLINGER_EXPERIMENT=str(BENCHMARK_EXPERIMENT),
        DALLINGER_BASE_URL=f"http://127.0.0.1:{port}",
        DALLINGER_SQLITE_PATH=str(folder / "db.sqlite3"),
        PYTHONUNBUFFERED="1",
    )
    return env


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listeners", type=int, default=200, help="sockets on the channel (default 200)")
    parser.add_argument("--rates", default="5,10,20", help="frames a second, comma-separated (default 5,10,20)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of publishing per rate (default 30)")
    parser.add_argument("--name", default="relay", help="the results' name: realtime-<name>.json")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                        help="before each rate, wait up to this long for the machine to be idle")  # fmt: skip
    options = parser.parse_args(argv)
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    event_loop_policy()
    folder = Path(tempfile.mkdtemp(prefix="dallinger-relay-"))
    port = free_port()
    env = embedded_environment(port, folder)
    # The publisher runs as a child of the generator: it needs the server's environment.
    os.environ.clear()
    os.environ.update(env)
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    server = ChildProcess("web", [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                                  "dallinger_project.asgi:application"], env, folder / "web.log", cwd=REPO_ROOT)  # fmt: skip
    levels, failure = [], None
    try:
        if not wait_for_port(port, server, timeout=60):
            raise RuntimeError(f"the server did not start:\n{server.log_tail()}")
        for rate in [float(value) for value in options.rates.split(",")]:
            quiet = wait_quiet(options.wait_quiet) if options.wait_quiet > 0 else None
            load_before = os.getloadavg()
            publisher = [sys.executable, "-m", "benchmarks.realtime.publisher", "--channel", CHANNEL,
                         "--rate", str(rate), "--duration", str(options.duration)]  # fmt: skip
            clients = plan(0, 1, options.listeners, CHANNEL)
            result = asyncio.run(
                run_clients(f"ws://127.0.0.1:{port}/chat", clients, duration=options.duration, broadcast_channel=CHANNEL,
                            publisher=publisher, connect_concurrency=50, watch={"server": server.pid})
            )  # fmt: skip
            result["rate"] = rate
            result["machine"] = {"before": quiet, "load_average_before": load_before,
                                 "load_average_after": os.getloadavg()}  # fmt: skip
            published = result["broadcast"]["publisher"]
            print(f"rate {rate}/s: publisher reached {published['published_per_s']}/s, publish call p50 "
                  f"{published['publish_call']['p50_ms']} ms, p99 {published['publish_call']['p99_ms']} ms\n"
                  f"{format_summary(result)}", flush=True)  # fmt: skip
            levels.append(result)
    except (RuntimeError, OSError) as error:
        failure = str(error)
        print(f"failed: {failure}", file=sys.stderr)
    finally:
        server.stop()
    record = {
        "name": options.name,
        "started": started,
        "target": "runexperiment's embedded default: one daphne process, SQLite, the in-memory layer, the relay",
        "load": {"listeners": options.listeners, "rates": options.rates, "duration_s": options.duration},
        "machine": {"cpus": os.cpu_count(), "load_average_at_end": os.getloadavg()},
        "versions": {**versions(), **package_versions()},
        "levels": levels,
        "failure": failure,
    }
    options.results.mkdir(parents=True, exist_ok=True)
    path = options.results / f"realtime-{options.name}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {path}", flush=True)
    if failure:
        print(f"the server's log is kept in {folder}", flush=True)
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if failure else 0


if __name__ == "__main__":
    sys.exit(main())
