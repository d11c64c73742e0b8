"""Run the load benchmark end to end and record it.

    .venv/bin/python benchmarks/load/run.py                       # default server, c = 1, 10, 25, 50
    .venv/bin/python benchmarks/load/run.py --server uvicorn --concurrency 25,50 --name server-uvicorn

Steps: start throwaway PostgreSQL and Redis (scripts/services.py, unless they are already
given), migrate, start the production layout (deploy/layout.py: K web processes, a Celery
worker, celery beat) on the benchmark experiment, launch it, warm up, run the generator at
each concurrency for a fixed duration (recording the longest chain's length before and after
each level), stop the layout, run pgbench against the same
PostgreSQL, and write benchmarks/results/load-<name>.json, load.md and the latency plot.
Everything it started is stopped at the end, also on errors and Ctrl-C.
"""

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.load import report, services  # noqa: E402
from benchmarks.load.generator import format_summary, run_load  # noqa: E402
from benchmarks.load.procstat import wait_quiet  # noqa: E402
from deploy.layout import DEFAULT_SERVER, SERVERS, WSGI_SERVERS, Layout, LayoutOptions  # noqa: E402

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
BENCHMARK_EXPERIMENT = REPO_ROOT / "benchmarks" / "load" / "experiment"
#: The experiment each flow runs on unless --experiment names another.
FLOW_EXPERIMENTS = {
    "bartlett1932": BENCHMARK_EXPERIMENT,
    "waiting_room": REPO_ROOT / "benchmarks" / "load" / "waiting_room",
}
STARTED_MARK = "DALLINGER_LOAD_SERVICES"


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", choices=SERVERS, default=DEFAULT_SERVER, help="the web server")
    parser.add_argument("--web-processes", type=int, default=2, help="web server processes (default 2)")
    parser.add_argument("--threads", type=int, default=4,
                        help="request threads per web process, with gthread or granian (default 4)")
    parser.add_argument("--proxy", action=argparse.BooleanOptionalAction, default=None,
                        help="nginx in front (default: as scripts/production, i.e. with gthread or granian)")  # fmt: skip
    parser.add_argument("--concurrency", default="1,10,25,50",
                        help="comma-separated levels (default 1,10,25,50); a repeated level (50,50,50) "
                             "gives successive runs on the same, growing data")  # fmt: skip
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per level (default 20)")
    parser.add_argument("--max-participants", type=int, default=100_000, help="participant cap per level")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of unrecorded load first (default 5)")
    parser.add_argument("--flow", choices=sorted(FLOW_EXPERIMENTS), default="bartlett1932",
                        help="the participants' flow (benchmarks/load/flow.py; default bartlett1932)")  # fmt: skip
    parser.add_argument("--experiment", help="the experiment package (default: the flow's, FLOW_EXPERIMENTS)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a configuration value for the experiment, e.g. num_chains=50")  # fmt: skip
    parser.add_argument("--name", help="the results' name: load-<name>.json (default: the server)")
    parser.add_argument("--no-pgbench", action="store_true", help="skip the pgbench reference run")
    parser.add_argument("--port", type=int, help="the web port (default: a free one)")
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                        help="before each level, wait up to this long for the machine to be idle "
                             "(others' CPU under 0.3 cores; a shared machine disturbs timings)")  # fmt: skip
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="where results go")
    options = parser.parse_args(argv)
    options.experiment = options.experiment or str(FLOW_EXPERIMENTS[options.flow])
    return options


def versions() -> dict:
    """Versions of what the figures depend on, and the commit they were taken at."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": sys.version.split()[0]}
    for package in ("Django", "djangorestframework", "gunicorn", "daphne", "Twisted", "uvicorn", "uvloop", "celery",
                    "psycopg2-binary", "asgiref"):  # fmt: skip
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True)
    found["commit"] = commit.stdout.strip() or None
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(url: str) -> dict:
    request = urllib.request.Request(url, method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, str(REPO_ROOT / "manage.py"), *args], cwd=REPO_ROOT, env=env, check=True)


def experiment_environment(options) -> dict:
    """The environment every process of the layout gets."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "dallinger_project.settings",
            "DJANGO_DEBUG": "False",
            "DALLINGER_EXPERIMENT": str(Path(options.experiment).resolve())
            if Path(options.experiment).is_dir()
            else options.experiment,
            "DALLINGER_BASE_URL": f"http://127.0.0.1:{options.port}",
        }
    )
    for item in options.set:
        key, separator, value = item.partition("=")
        if not separator:
            raise SystemExit(f"--set takes KEY=VALUE, not {item!r}")
        env[key.strip()] = value
    return env


def run_levels(options, layout: Layout, database_url: str, redis_url: str) -> list[dict]:
    """The generator at each concurrency level, with the processes and database counters watched."""
    url = f"http://127.0.0.1:{options.port}"
    watch = {**layout.pids(), "postgres": services.postgres_pid(database_url), "redis": services.redis_pid(redis_url)}
    if options.warmup > 0:
        warm = asyncio.run(run_load(url, concurrency=4, duration=options.warmup, timeout=60, flow=options.flow))
        print(f"warm-up: {warm['requests']} requests, errors {warm['errors'] or 0}", flush=True)
    levels = []
    for concurrency in [int(value) for value in options.concurrency.split(",")]:
        layout.check()
        quiet = wait_quiet(options.wait_quiet) if options.wait_quiet > 0 else None
        time.sleep(1.5)  # let PostgreSQL publish the previous level's statistics
        before = services.database_counters(database_url)
        chain_before = services.chain_lengths(database_url)
        result = asyncio.run(
            run_load(url, concurrency=concurrency, duration=options.duration,
                     max_participants=options.max_participants, watch=watch, flow=options.flow)
        )  # fmt: skip
        time.sleep(1.5)
        deltas = services.counter_deltas(before, services.database_counters(database_url))
        result["chain"] = {"start": chain_before, "end": services.chain_lengths(database_url)}
        requests = max(result["requests"], 1)
        result["machine_before"] = quiet
        result["database"] = {
            **deltas,
            "transactions_per_s": round(deltas["xact_commit"] / result["elapsed_s"], 1),
            "transactions_per_request": round(deltas["xact_commit"] / requests, 2),
            "new_connections_per_request": round(deltas["sessions"] / requests, 2),
        }
        print(format_summary(result), flush=True)
        print(
            f"  chain       longest {chain_before['longest_chain']} -> {result['chain']['end']['longest_chain']} "
            f"participants' nodes",
            flush=True,
        )
        print(
            f"  database    {result['database']['transactions_per_s']} transactions/s, "
            f"{result['database']['transactions_per_request']} per request, "
            f"{result['database']['new_connections_per_request']} new connections per request",
            flush=True,
        )
        levels.append(result)
    return levels


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    options = parse_arguments(argv)
    urls = services.service_urls_or_rerun(Path(__file__), argv, STARTED_MARK)
    if isinstance(urls, int):
        return urls
    database_url, redis_url = urls
    options.port = options.port or free_port()
    name = options.name or options.server
    env = experiment_environment(options)
    layout_options = LayoutOptions(
        server=options.server, web_processes=options.web_processes, threads=options.threads, port=options.port,
        proxy=options.proxy,
    )  # fmt: skip
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    log_dir = Path(tempfile.mkdtemp(prefix="dallinger-load-"))
    layout = Layout(layout_options, env, log_dir)
    levels, failure = [], None
    try:
        print(f"starting the {options.server} layout ({options.web_processes} web processes"
              f"{', behind nginx' if layout_options.proxy else ''}) on port {options.port}; "
              f"logs in {log_dir}", flush=True)  # fmt: skip
        layout.start()
        launched = post(f"http://127.0.0.1:{options.port}/launch")
        if launched.get("status") != "success":
            raise RuntimeError(f"launch failed: {launched}")
        levels = run_levels(options, layout, database_url, redis_url)
    except (RuntimeError, OSError) as error:
        failure = str(error)
        print(f"failed: {failure}", file=sys.stderr)
    finally:
        layout.stop()
    pgbench = None
    if not options.no_pgbench and levels:
        print("pgbench (the web processes are stopped) ...", flush=True)
        pgbench = services.run_pgbench(database_url)
        print(f"pgbench: {pgbench['tps']} tps", flush=True)
        for level in levels:
            level["fraction_of_pgbench_tps"] = {
                "requests": round(level["requests_per_s"] / pgbench["tps"], 3),
                "database_transactions": round(level["database"]["transactions_per_s"] / pgbench["tps"], 3),
            }
    result = {
        "name": name,
        "started": started,
        "server": options.server,
        "layout": {
            "web_processes": options.web_processes,
            "threads": options.threads if options.server in WSGI_SERVERS else None,
            "proxy": layout_options.proxy,
            "worker_concurrency": layout_options.worker_concurrency,
            "beat": layout_options.beat,
        },
        "flow": options.flow,
        "experiment": options.experiment,
        "settings": options.set,
        "duration_s": options.duration,
        "machine": {"cpus": os.cpu_count(), "load_average_at_end": os.getloadavg()},
        "postgres": services.postgres_settings(database_url),
        "versions": versions(),
        "levels": levels,
        "pgbench": pgbench,
        "failure": failure,
    }
    path = report.record_load_result(result, options.results, name)
    print(f"wrote {path}, {options.results / 'load.md'} and the plots", flush=True)
    if not failure:
        shutil.rmtree(log_dir, ignore_errors=True)  # after a failure the processes' logs are kept
    return 1 if failure else 0


if __name__ == "__main__":
    sys.exit(main())
