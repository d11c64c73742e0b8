"""Run the websocket benchmark against the production layout and record it.

    .venv/bin/python benchmarks/realtime/run.py                                # 100 rooms of 20 + 500 listeners
    .venv/bin/python benchmarks/realtime/run.py --rooms 5 --broadcast-size 100 --duration 20 --name small

Steps: start throwaway PostgreSQL and Redis (scripts/services.py, unless DATABASE_URL and
REDIS_URL are given), migrate, start the production layout (deploy/layout.py: nginx,
gunicorn, daphne for websockets, the Celery worker, beat) on the load benchmark's experiment,
launch it, create one participant per client through the HTTP API (each socket carries its
participant's binding cookie, as a browser does), then run the generator
(benchmarks/realtime/generator.py) through nginx, with the broadcast publisher
(benchmarks/realtime/publisher.py, `core.realtime.publish` in a process of its own), and
write benchmarks/results/realtime-<name>.json. Everything it started is stopped at the end.
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

from benchmarks.load import services  # noqa: E402
from benchmarks.load.client import HTTPConnection  # noqa: E402
from benchmarks.load.procstat import wait_quiet  # noqa: E402
from benchmarks.load.run import BENCHMARK_EXPERIMENT, experiment_environment, free_port, manage, post, versions  # noqa: E402
from benchmarks.realtime.generator import event_loop_policy, format_summary, plan, run_clients  # noqa: E402
from deploy.layout import DEFAULT_WEBSOCKET_SERVER, WEBSOCKET_SERVERS, Layout, LayoutOptions  # noqa: E402

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
STARTED_MARK = "DALLINGER_REALTIME_SERVICES"
BROADCAST_CHANNEL = "broadcast"


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, default=100, help="rooms (default 100)")
    parser.add_argument("--room-size", type=int, default=20, help="clients per room (default 20)")
    parser.add_argument("--broadcast-size", type=int, default=500, help="clients of the broadcast room (default 500)")
    parser.add_argument("--broadcast-rate", type=float, default=5.0, help="broadcasts a second (default 5)")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between a client's messages (default 10)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of steady load (default 60)")
    parser.add_argument(
        "--drain",
        type=float,
        default=5.0,
        help="after the last send, read until no frame came for this long (default 5)",
    )
    parser.add_argument("--connect-concurrency", type=int, default=50, help="handshakes in flight (default 50)")
    parser.add_argument("--no-proxy", action="store_true", help="straight to the websocket processes, without nginx")
    parser.add_argument("--websocket-processes", type=int, default=None,
                        help="websocket processes (default: the layout's, one per core)")  # fmt: skip
    parser.add_argument("--websocket-server", choices=WEBSOCKET_SERVERS, default=DEFAULT_WEBSOCKET_SERVER,
                        help=f"the websocket processes' server (default {DEFAULT_WEBSOCKET_SERVER})")  # fmt: skip
    parser.add_argument("--channel-layer", choices=("batching", "stock"), default="batching",
                        help="the project's channel layer (default) or channels-redis's own")  # fmt: skip
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a configuration value for the experiment, e.g. participant_binding=false")  # fmt: skip
    parser.add_argument("--name", default="layout", help="the results' name: realtime-<name>.json")
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                        help="before the run, wait up to this long for the machine to be idle")  # fmt: skip
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="where results go")
    options = parser.parse_args(argv)
    options.experiment = str(BENCHMARK_EXPERIMENT)
    return options


async def create_participants(port: int, count: int, concurrency: int = 8) -> list[tuple[int, str]]:
    """`count` participants through the HTTP API: (id, the binding cookie their creation set)."""
    created: list[tuple[int, str]] = []
    numbers = iter(range(count))

    async def worker() -> None:
        connection = HTTPConnection("127.0.0.1", port)
        for number in numbers:
            worker_id = f"ws{number}"
            response = await connection.request("POST", f"/participant/{worker_id}/wshit/{worker_id}-a/debug")
            if response.status != 200:
                raise RuntimeError(f"participant creation answered {response.status}: {response.body[:200]!r}")
            cookie = response.headers.get("set-cookie", "").split(";", 1)[0]
            created.append((json.loads(response.body)["participant"]["id"], cookie))
        await connection.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return created


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    options = parse_arguments(argv)
    urls = services.service_urls_or_rerun(Path(__file__), argv, STARTED_MARK)
    if isinstance(urls, int):
        return urls
    database_url, redis_url = urls
    options.port = free_port()
    env = experiment_environment(options)
    if options.channel_layer == "stock":
        env["DJANGO_SETTINGS_MODULE"] = "benchmarks.realtime.stock_layer_settings"
    # The publisher runs as a child of the generator: it needs the layout's environment.
    os.environ.update(env)
    layout_options = LayoutOptions(port=options.port, proxy=not options.no_proxy,
                                   websocket_processes=options.websocket_processes,
                                   websocket_server=options.websocket_server)  # fmt: skip
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    log_dir = Path(tempfile.mkdtemp(prefix="dallinger-realtime-"))
    layout = Layout(layout_options, env, log_dir)
    result, failure, quiet, load_before = None, None, None, None
    clients = plan(options.rooms, options.room_size, options.broadcast_size, BROADCAST_CHANNEL)
    event_loop_policy()
    try:
        print(f"starting the layout on port {options.port}; logs in {log_dir}", flush=True)
        layout.start()
        launched = post(f"http://127.0.0.1:{options.port}/launch")
        if launched.get("status") != "success":
            raise RuntimeError(f"launch failed: {launched}")
        began = time.perf_counter()
        participants = asyncio.run(create_participants(options.port, len(clients)))
        print(f"{len(participants)} participants created in {time.perf_counter() - began:.1f} s", flush=True)
        for client, (participant_id, cookie) in zip(clients, participants):
            client.participant_id, client.cookie = participant_id, cookie
        watch = {
            **layout.pids(),
            "postgres": services.postgres_pid(database_url),
            "redis": services.redis_pid(redis_url),
        }
        quiet = wait_quiet(options.wait_quiet) if options.wait_quiet > 0 else None
        load_before = os.getloadavg()
        port = options.port if layout_options.proxy else layout_options.websocket_port
        publisher = [sys.executable, "-m", "benchmarks.realtime.publisher", "--channel", BROADCAST_CHANNEL,
                     "--rate", str(options.broadcast_rate), "--duration", str(options.duration)]  # fmt: skip
        result = asyncio.run(
            run_clients(f"ws://127.0.0.1:{port}/chat", clients, duration=options.duration, interval=options.interval,
                        drain=options.drain, broadcast_channel=BROADCAST_CHANNEL,
                        publisher=publisher if options.broadcast_size else None,
                        connect_concurrency=options.connect_concurrency, watch=watch)
        )  # fmt: skip
        add_websocket_total(result)
        print(format_summary(result), flush=True)
        layout.check()
    except (RuntimeError, OSError) as error:
        failure = str(error)
        print(f"failed: {failure}", file=sys.stderr)
    finally:
        layout.stop()
    record = {
        "name": options.name,
        "started": started,
        "target": "production layout" + ("" if layout_options.proxy else " without nginx"),
        "load": {
            "rooms": options.rooms,
            "room_size": options.room_size,
            "interval_s": options.interval,
            "broadcast_size": options.broadcast_size,
            "broadcast_rate": options.broadcast_rate,
            "duration_s": options.duration,
            "connect_concurrency": options.connect_concurrency,
        },  # fmt: skip
        "layout": {
            "websocket_processes": layout_options.websocket_processes,
            "websocket_server": layout_options.websocket_server,
            "channel_layer": options.channel_layer,
        },
        "settings": options.set,
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_at_end": os.getloadavg(),
            "before": quiet,
        },  # fmt: skip
        "versions": {**versions(), **package_versions()},
        "result": result,
        "failure": failure,
    }
    options.results.mkdir(parents=True, exist_ok=True)
    path = options.results / f"realtime-{options.name}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {path}", flush=True)
    if failure or (result and (result["errors"] or result["lost"])):
        print(f"the processes' logs are kept in {log_dir}", flush=True)
    else:
        shutil.rmtree(log_dir, ignore_errors=True)
    return 1 if failure else 0


def add_websocket_total(result: dict) -> None:
    """The websocket processes together (`websockets`), beside each one (`websockets.N`)."""
    names = [name for name in result["processes"] if name.startswith("websockets.")]
    if not names:
        return
    processes = [result["processes"][name] for name in names]
    cpu = sum(figures["cpu_seconds"] for figures in processes)
    result["processes"]["websockets"] = {
        "cpu_seconds": round(cpu, 2),
        "cpu_cores": round(sum(figures["cpu_cores"] for figures in processes), 3),
    }
    delivered = result["room"]["received"] + result["broadcast"]["received"]
    if delivered:
        result["cpu_us_per_delivery"]["websockets"] = round(1e6 * cpu / delivered, 1)
    memory = [result["memory"][name] for name in names]
    result["memory"]["websockets"] = {
        key: round(sum(figures[key] for figures in memory), 1)
        for key in ("before_mib", "after_mib", "per_connection_kib")
    }


def package_versions() -> dict:
    """Versions of the websocket stack (the load benchmark's list has the HTTP one)."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("channels", "channels-redis", "daphne", "autobahn", "uvicorn", "websockets", "redis", "uvloop"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            pass
    return found


if __name__ == "__main__":
    sys.exit(main())
