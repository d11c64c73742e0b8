"""Compare web servers with the load generator: daphne, gunicorn + uvicorn workers, gunicorn gthread, granian.

    .venv/bin/python benchmarks/load/compare_servers.py               # c = 25 and 50, 2 rounds
    .venv/bin/python benchmarks/load/compare_servers.py --rounds 1 --duration 10

Each server runs in the production layout (deploy/layout.py) with 2 web processes, on fresh
throwaway PostgreSQL and Redis, through `run.py`. Rounds alternate the order (a, b, c, then
c, b, a) so that a slow spell on a shared machine does not fall on one server only. Writes
each run to benchmarks/results/servers/load-server-<server>-<round>.json and the comparison
to benchmarks/results/servers.md and servers.json.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from deploy.layout import SERVERS  # noqa: E402

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
DESCRIPTIONS = {
    "daphne": "daphne, 2 processes on one listening socket (HTTP + websockets)",
    "uvicorn": "gunicorn 2 × uvicorn ASGI workers (HTTP + websockets)",
    "gthread": "gunicorn 2 × gthread WSGI workers, {threads} threads each (HTTP); uvicorn for websockets",
    "granian": "granian 2 × WSGI workers, {threads} threads each (HTTP); uvicorn for websockets",
}


def run_one(server: str, round_number: int, options) -> dict:
    name = f"server-{server}-{round_number}"
    command = [
        sys.executable, str(REPO_ROOT / "benchmarks" / "load" / "run.py"), "--server", server,
        "--web-processes", "2", "--threads", str(options.threads), "--concurrency", options.concurrency,
        "--duration", str(options.duration), "--name", name, "--no-pgbench", "--no-proxy", "--wait-quiet", str(options.wait_quiet),
        "--results", str(options.results / "servers"),
    ]  # fmt: skip
    print(f"== {name}", flush=True)
    subprocess.run(command, check=True)
    return json.loads((options.results / "servers" / f"load-{name}.json").read_text())


def per_request_ms(level: dict, process: str) -> float | None:
    """CPU milliseconds the process tree spent per answered request."""
    figures = level["processes"]
    keys = [key for key in figures if key == process or key.startswith(process + ".")]
    if not keys or not level["requests"]:
        return None
    return round(1000 * sum(figures[key]["cpu_seconds"] for key in keys) / level["requests"], 2)


def summary_rows(runs: list[dict]) -> list[dict]:
    rows = []
    for run in runs:
        for level in run["levels"]:
            rows.append(
                {
                    "server": run["server"],
                    "run": run["name"],
                    "concurrency": level["concurrency"],
                    "participants_per_s": level["participants_per_s"],
                    "requests_per_s": level["requests_per_s"],
                    **{key: level["latency"][key] for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms")},
                    "errors": level["errors"],
                    "web_cpu_ms_per_request": per_request_ms(level, "web"),
                    "postgres_cpu_ms_per_request": per_request_ms(level, "postgres"),
                    "web_peak_memory_mib": round(
                        sum(v["peak_memory_mib"] for k, v in level["processes"].items() if k.startswith("web")), 1
                    ),
                    "new_db_connections_per_request": level["database"]["new_connections_per_request"],
                    "others_cpu_s": level["processes"]["machine"]["other_cpu_seconds"],
                }
            )
    return rows


def means(rows: list[dict]) -> list[dict]:
    grouped = {}
    for row in rows:
        grouped.setdefault((row["server"], row["concurrency"]), []).append(row)
    result = []
    for (server, concurrency), group in sorted(grouped.items(), key=lambda item: (item[0][1], item[0][0])):
        entry = {"server": server, "concurrency": concurrency, "runs": len(group)}
        for key in ("participants_per_s", "requests_per_s", "p50_ms", "p95_ms", "p99_ms", "web_cpu_ms_per_request",
                    "postgres_cpu_ms_per_request", "new_db_connections_per_request", "web_peak_memory_mib"):  # fmt: skip
            values = [row[key] for row in group if row[key] is not None]
            entry[key] = round(statistics.mean(values), 2) if values else None
        entry["errors"] = sum(sum(row["errors"].values()) for row in group)
        result.append(entry)
    return result


def write(rows: list[dict], averaged: list[dict], options) -> None:
    by_level = {}
    for entry in averaged:
        by_level.setdefault(entry["concurrency"], []).append(entry)
    winners = {level: max(entries, key=lambda entry: entry["requests_per_s"])["server"]
               for level, entries in by_level.items()}  # fmt: skip
    record = {"written": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "duration_s": options.duration,
              "threads": options.threads, "means": averaged, "runs": rows, "fastest": winners}  # fmt: skip
    (options.results / "servers.json").write_text(json.dumps(record, indent=2) + "\n")
    lines = [
        "# Web servers compared",
        "",
        "Written by `benchmarks/load/compare_servers.py`. The Bartlett1932 flow on the benchmark experiment (50",
        f"chains), closed loop, {options.duration:.0f} s per level, production layout with 2 web processes, a",
        "Celery worker and beat, fresh throwaway PostgreSQL and Redis per run. Means over the rounds; every run",
        "is listed below.",
        "",
        *[f"- `{server}`: {DESCRIPTIONS[server].format(threads=options.threads)}" for server in SERVERS],
        "",
        "| concurrency | server | participants/s | requests/s | p50 ms | p95 ms | p99 ms | errors "
        "| web CPU ms / request | PostgreSQL CPU ms / request | new DB connections / request | web peak memory MiB (PSS) |",
        "|" + "---|" * 12,
    ]
    for entry in averaged:
        lines.append(
            f"| {entry['concurrency']} | {entry['server']} | {entry['participants_per_s']} | {entry['requests_per_s']} "
            f"| {entry['p50_ms']} | {entry['p95_ms']} | {entry['p99_ms']} | {entry['errors']} "
            f"| {entry['web_cpu_ms_per_request']} | {entry['postgres_cpu_ms_per_request']} "
            f"| {entry['new_db_connections_per_request']} | {entry['web_peak_memory_mib']} |"
        )
    lines += ["", "Highest throughput: " + ", ".join(f"c={level}: **{server}**" for level, server in winners.items()),
              "", "Every run (\"others' CPU\": CPU seconds used by processes outside the benchmark during the level):",
              "", "| run | concurrency | requests/s | p50 ms | p99 ms | errors | others' CPU s |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    for row in rows:
        errors = sum(row["errors"].values())
        lines.append(f"| {row['run']} | {row['concurrency']} | {row['requests_per_s']} | {row['p50_ms']} "
                     f"| {row['p99_ms']} | {errors} | {row['others_cpu_s']} |")  # fmt: skip
    lines += ["", *threads_section(options.results / "servers", averaged)]
    (options.results / "servers.md").write_text("\n".join(lines))
    print("\n".join(lines))


def threads_section(directory: Path, averaged: list[dict]) -> list[str]:
    """gthread with other thread counts (run.py --threads N --name gthread-threads-N), if recorded."""
    runs = [json.loads(path.read_text()) for path in sorted(directory.glob("load-gthread-threads-*.json"))]
    if not runs:
        return []
    lines = [
        "## Threads per gthread process",
        "",
        "`run.py --server gthread --threads N --no-proxy --no-pgbench --concurrency 25,50 --name gthread-threads-N`,",
        "one run each; the 4-thread row is the mean above.",
        "",
        "| threads | concurrency | requests/s | p50 ms | p95 ms | p99 ms | errors | web CPU ms / request |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rows = []
    for run in runs:
        for level in run["levels"]:
            latency = level["latency"]
            rows.append((run["layout"]["threads"], level["concurrency"], level["requests_per_s"], latency["p50_ms"],
                         latency["p95_ms"], latency["p99_ms"], sum(level["errors"].values()),
                         per_request_ms(level, "web")))  # fmt: skip
    for entry in averaged:
        if entry["server"] == "gthread":
            rows.append((4, entry["concurrency"], entry["requests_per_s"], entry["p50_ms"], entry["p95_ms"],
                         entry["p99_ms"], entry["errors"], entry["web_cpu_ms_per_request"]))  # fmt: skip
    for row in sorted(rows, key=lambda row: (row[1], row[0])):
        lines.append("| " + " | ".join(str(value) for value in row) + " |")
    return [*lines, ""]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", default=",".join(SERVERS), help="comma-separated (default: all)")
    parser.add_argument("--concurrency", default="25,50")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--threads", type=int, default=4, help="gthread and granian threads per process (default 4)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS", help="passed to run.py")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    parser.add_argument("--report-only", action="store_true", help="rewrite servers.md from the recorded runs")
    options = parser.parse_args(argv)
    servers = options.servers.split(",")
    if options.report_only:
        runs = [json.loads(path.read_text()) for path in sorted((options.results / "servers").glob("load-server-*.json"))]
    else:
        runs = []
        for round_number in range(1, options.rounds + 1):
            order = servers if round_number % 2 else list(reversed(servers))
            runs += [run_one(server, round_number, options) for server in order]
    rows = summary_rows(runs)
    write(rows, means(rows), options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
