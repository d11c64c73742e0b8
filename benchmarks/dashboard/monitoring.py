"""How long the Monitoring page's data endpoint takes on a big study, server side.

    .venv/bin/python benchmarks/dashboard/monitoring.py

Builds, in throwaway PostgreSQL (scripts/services.py), one chain of 5,000 nodes (a source and
4,999 participants' agents) with a vector, an info and a transmission per agent, a base payment
on the ledger per participant, plus 49 small chains; then requests /dashboard/monitoring/data/
through Django's whole request handling (session, login, middleware, view, JSON; no web server
or network) as a logged-in experimenter, in several shapes (first and last page of the big
network's nodes, its infos, the biggest page allowed, networks and sources only), and times each
many times. Also times the live socket's change marker. Writes benchmarks/results/dashboard.md
and dashboard.json with the machine's state (load, CPU used by others while measuring).
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.load.procstat import cpu_seconds, machine_cpu, process_tree, wait_quiet  # noqa: E402
from benchmarks.load.services import postgres_pid, postgres_settings, service_urls_or_rerun  # noqa: E402

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
DATA = "/dashboard/monitoring/data/"
TARGET_MS = 300
BIG_NETWORK_NODES = 5000


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dallinger_project.settings")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def build_record() -> dict:
    """The big study (see the module's docstring); what it holds, counted."""
    from core.models import Info, Network, Node, Participant, Transmission, Vector
    from dashboard.tests.study import build_study
    from recruitment.models import Payment

    started = time.perf_counter()
    big = build_study(networks=1, agents=BIG_NETWORK_NODES - 1, status="approved", failed_every=50)
    build_study(networks=49, agents=20, role="practice")
    Payment.objects.bulk_create(
        Payment(key=f"base:{participant.pk}", kind="base", participant_id=participant.pk, amount="1.50",
                assignment_id=participant.assignment_id, recruiter="hotair", state="sent")
        for participant in big.participants
    )  # fmt: skip
    counts = {model.__name__: model.objects.count() for model in (Network, Node, Vector, Info, Transmission,
                                                                    Participant, Payment)}  # fmt: skip
    return {"big_network": big.networks[0].pk, "rows": counts, "build_seconds": round(time.perf_counter() - started, 1)}


def scenarios(big_network: int) -> dict:
    """Name -> query arguments of each request measured."""
    last_page = -(-BIG_NETWORK_NODES // 200)
    return {
        "first page (200 nodes of the big network, 9 small networks)": {},
        f"last node page ({last_page}) of the big network": {"node_page": f"{big_network}:{last_page}"},
        "with the big network's infos and transmissions": {"infos": str(big_network)},
        "1,000 nodes per page, infos and transformations": {
            "nodes_per_page": "1000",
            "infos": str(big_network),
            "transformations": "true",
        },  # fmt: skip
        "networks and sources only": {"collapsed": "true", "per_page": "50"},
    }


def measure(client, arguments: dict, repeats: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # warm: the experiment instance, the connection, the query plans
        assert client.get(DATA, arguments).status_code == 200
    wall, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(DATA, arguments)
        wall.append(1000 * (time.perf_counter() - started))
        cpu.append(1000 * (time.process_time() - started_cpu))
        assert response.status_code == 200, response.content[:300]
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(DATA, arguments)
    body = response.json()
    wall.sort()
    slowest = sorted(captured.captured_queries, key=lambda query: float(query["time"]), reverse=True)[:4]
    return {
        "arguments": arguments,
        "wall_ms_median": round(statistics.median(wall), 1),
        "wall_ms_p95": round(wall[int(0.95 * (len(wall) - 1))], 1),
        "wall_ms_max": round(wall[-1], 1),
        "cpu_ms_median": round(statistics.median(cpu), 1),
        "queries": len(captured),
        "database_ms": round(sum(1000 * float(query["time"]) for query in captured.captured_queries), 1),
        "response_kib": round(len(response.content) / 1024, 1),
        "graph_nodes": len(body["graph"]["nodes"]),
        "graph_infos": len(body["graph"]["infos"]),
        "slowest_queries": [
            {"ms": round(1000 * float(query["time"]), 1), "sql": " ".join(query["sql"].split())[:110]}
            for query in slowest
        ],  # fmt: skip
    }


def measure_marker(repeats: int) -> dict:
    from dashboard.monitoring.live import change_marker

    for _ in range(5):
        change_marker()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        change_marker()
        times.append(1000 * (time.perf_counter() - started))
    return {"ms_median": round(statistics.median(times), 2), "ms_max": round(max(times), 2)}


def versions() -> dict:
    from importlib.metadata import version

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
                           capture_output=True, text=True)  # fmt: skip
    return {"python": platform.python_version(), "Django": version("Django"), "psycopg2": version("psycopg2-binary"),
            "commit": commit.stdout.strip(), "uncommitted_changes": bool(dirty.stdout.strip())}  # fmt: skip


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown")  # fmt: skip
    memory = next(line.split(":", 1)[1].strip() for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))  # fmt: skip
    return {"cpu": model, "cpus": os.cpu_count(), "memory": memory, "load_average": os.getloadavg()}


def write(result: dict, results: Path) -> None:
    results.mkdir(parents=True, exist_ok=True)
    (results / "dashboard.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    host, run = result["machine"], result["run"]
    lines = [
        "# Dashboard: the Monitoring data endpoint on a 5,000-node network",
        "",
        "Written by `benchmarks/dashboard/monitoring.py` (see its docstring): server-side time of",
        "`GET /dashboard/monitoring/data/` through Django's whole request handling as a logged-in",
        "experimenter, against throwaway PostgreSQL on this machine. Target: at most "
        f"{TARGET_MS} ms. Milliseconds over {result['repeats']} requests each.",
        "",
        f"Record: {', '.join(f'{count:,} {name.lower()}s' for name, count in result['record']['rows'].items())}; "
        f"one network of {BIG_NETWORK_NODES:,} nodes and 49 of 21.",
        "",
        "| request | median | p95 | max | CPU (median) | queries | in the database | answer | nodes shown | infos |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in result["scenarios"].items():
        lines.append(f"| {name} | {row['wall_ms_median']} | {row['wall_ms_p95']} | {row['wall_ms_max']} | "
                     f"{row['cpu_ms_median']} | {row['queries']} | {row['database_ms']} | {row['response_kib']} KiB | "
                     f"{row['graph_nodes']} | {row['graph_infos']} |")  # fmt: skip
    worst = max(row["wall_ms_p95"] for row in result["scenarios"].values())
    heaviest_name, heaviest = max(result["scenarios"].items(), key=lambda item: item[1]["wall_ms_median"])
    lines += ["", f'The slowest queries of one request "{heaviest_name}":', ""]
    lines += [f"- {query['ms']} ms: `{query['sql']}…`" for query in heaviest["slowest_queries"]]
    marker = result["change_marker"]
    lines += [
        "",
        f"Slowest p95: {worst} ms ({'within' if worst <= TARGET_MS else 'ABOVE'} the {TARGET_MS} ms target).",
        f"The live socket's change marker (one query, read every 1.5 s per open page): median "
        f"{marker['ms_median']} ms, max {marker['ms_max']} ms.",
        "",
        "Machine and run:",
        "",
        f"- {host['cpu']}, {host['cpus']} CPUs, {host['memory']}; PostgreSQL {result['postgres'].get('server_version')}"
        f" (fsync {result['postgres'].get('fsync')}, shared_buffers {result['postgres'].get('shared_buffers')}).",
        f"- Load average before: {', '.join(f'{value:.2f}' for value in host['load_average'])}; waited "
        f"{run['quiet']['waited_s']} s for a quiet machine (others then used {run['quiet']['background_cores']} cores).",
        f"- While measuring, the machine was busy {run['busy_cores']} cores on average: this process "
        f"{run['own_cores']}, PostgreSQL {run['postgres_cores']}, anything else {run['other_cores']} (no other "
        "test or benchmark ran meanwhile: on this shared machine they take turns).",
        f"- Python {result['versions']['python']}, Django {result['versions']['Django']}, commit "
        f"{result['versions']['commit']}{' with uncommitted changes' if result['versions']['uncommitted_changes'] else ''}.",
        "",
    ]
    (results / "dashboard.md").write_text("\n".join(lines))
    print("\n".join(lines))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=30, help="requests timed per shape (default 30)")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    options = parser.parse_args(argv)
    urls = service_urls_or_rerun(Path(__file__), sys.argv[1:] if argv is None else argv, "DASHBOARD_BENCHMARK_RERUN")
    if isinstance(urls, int):
        return urls
    database_url, _ = urls
    setup_django()
    from django.contrib.auth import get_user_model
    from django.test import Client

    record = build_record()
    print(f"record built in {record['build_seconds']} s: {record['rows']}", flush=True)
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("benchmark", "b@example.test", "unused-password-x"))
    quiet = wait_quiet(60)
    load = os.getloadavg()
    postgres = postgres_pid(database_url)
    busy_before, _ = machine_cpu()
    postgres_before = cpu_seconds(process_tree(postgres))
    own_before, wall_before = time.process_time(), time.perf_counter()
    measured = {name: measure(client, arguments, options.repeats)
                for name, arguments in scenarios(record["big_network"]).items()}  # fmt: skip
    marker = measure_marker(options.repeats * 10)
    busy_after, _ = machine_cpu()
    postgres_used = cpu_seconds(process_tree(postgres)) - postgres_before
    own_used = time.process_time() - own_before
    elapsed = time.perf_counter() - wall_before
    result = {
        "repeats": options.repeats,
        "record": record,
        "scenarios": measured,
        "change_marker": marker,
        "machine": {**machine(), "load_average": load},
        "run": {
            "quiet": quiet,
            "busy_cores": round((busy_after - busy_before) / elapsed, 2),
            "own_cores": round(own_used / elapsed, 2),
            "postgres_cores": round(postgres_used / elapsed, 2),
            "other_cores": round(max(0.0, busy_after - busy_before - own_used - postgres_used) / elapsed, 2),
            "seconds": round(elapsed, 1),
        },
        "postgres": postgres_settings(database_url),
        "versions": versions(),
    }
    write(result, options.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
