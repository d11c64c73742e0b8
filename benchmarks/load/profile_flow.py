"""Where a flow request's time goes: queries and milliseconds per step, and a CPU profile.

    .venv/bin/python scripts/services.py --throwaway -- .venv/bin/python benchmarks/load/profile_flow.py

Runs the Bartlett1932 flow in process through Django's test client (the whole middleware and
view stack, no web server) against the database in DATABASE_URL with the benchmark
experiment, one participant at a time: counts the SQL statements of each step, times each
step (wall and process CPU), and profiles a batch of participants with cProfile. Then the
worker's part of each submission (`settle`): the settling task run in process after
`worker_complete`, as a worker logging at INFO runs it, with its statements, its log records
and its Redis round trips (REDIS_URL set: the dashboard's log handler writes there), and its
own profile. Writes benchmarks/results/profile-<name>.json and .md.
"""

import argparse
import cProfile
import io
import json
import logging
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.load.flow import QUESTION_RESPONSE, RETELLING, STEPS  # noqa: E402

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"


def setup_django(experiment: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dallinger_project.settings")
    os.environ["DALLINGER_EXPERIMENT"] = experiment
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def participant(client, number: int, measure) -> None:
    """One participant through the flow; `measure(step, callable)` runs and records each request."""
    worker = f"profile-{os.getpid()}-{number}"
    client.cookies.clear()  # each participant's own browser, holding their cookie only
    answer = measure("participant", lambda: client.post(f"/participant/{worker}/hit/{worker}-a/debug"))
    participant_id = answer["participant"]["id"]
    node_id = measure("node", lambda: client.post(f"/node/{participant_id}"))["node"]["id"]
    measure("received_infos", lambda: client.get(f"/node/{node_id}/received_infos"))
    measure("info", lambda: client.post(f"/info/{node_id}", {"contents": RETELLING, "info_type": "Info"}))
    measure("infos", lambda: client.get(f"/node/{node_id}/infos"))
    measure(
        "question",
        lambda: client.post(
            f"/question/{participant_id}", {"question": "questionnaire", "response": QUESTION_RESPONSE, "number": 1}
        ),
    )
    measure("worker_complete", lambda: client.get(f"/worker_complete?participant_id={participant_id}"))
    return participant_id


class WorkerLogging:
    """While entered, log as the worker does (`--loglevel INFO`) without printing: the root
    logger at INFO, its console handlers quiet; counts the records that reach its handlers."""

    def __init__(self):
        self.records = 0
        self._counter = logging.Handler(level=logging.INFO)
        self._counter.emit = self._count

    def _count(self, record) -> None:
        self.records += 1

    def __enter__(self):
        root = logging.getLogger()
        self._saved = root.level, [(handler, handler.level) for handler in root.handlers]
        root.setLevel(logging.INFO)
        for handler in root.handlers:
            if type(handler) is logging.StreamHandler:
                handler.setLevel(logging.CRITICAL + 1)
        root.addHandler(self._counter)
        return self

    def __exit__(self, *exc) -> None:
        root = logging.getLogger()
        root.removeHandler(self._counter)
        level, handlers = self._saved
        root.setLevel(level)
        for handler, handler_level in handlers:
            handler.setLevel(handler_level)


class RedisRoundTrips:
    """While entered, counts the commands (or pipelines) this process sends to Redis, each one
    round trip: `count` those of the thread that entered, `elsewhere` those of other threads
    (the log handler's writer)."""

    def __init__(self):
        self.count = self.elsewhere = 0

    def __enter__(self):
        import threading

        from redis.connection import AbstractConnection

        original = self._original = AbstractConnection.send_packed_command
        counter, measured_thread = self, threading.current_thread()

        def counted(connection, command, check_health=True):
            if threading.current_thread() is measured_thread:
                counter.count += 1
            else:
                counter.elsewhere += 1
            return original(connection, command, check_health)

        AbstractConnection.send_packed_command = counted
        return self

    def __exit__(self, *exc) -> None:
        from redis.connection import AbstractConnection

        AbstractConnection.send_packed_command = self._original


def settle(participant_id: int) -> None:
    """The worker's part of a submission: the settling task, run in process."""
    from recruitment.tasks import settle_submission

    settle_submission(participant_id)


def profile_section(title: str, profiler, *, functions: tuple[int, int]) -> list[str]:
    """Markdown lines of a profile: its top functions by cumulative time, then by own time
    (`functions`: how many of each)."""
    lines = [title]
    for heading, order, count in (("", "cumulative", functions[0]), ("By own time:", "tottime", functions[1])):
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats(order).print_stats(count)
        lines += ([heading, ""] if heading else [""]) + ["```", *stream.getvalue().strip().splitlines(), "```", ""]
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiment", default=str(REPO_ROOT / "benchmarks" / "load" / "experiment"))
    parser.add_argument("--participants", type=int, default=200, help="participants measured (default 200)")
    parser.add_argument("--profiled", type=int, default=200, help="participants under cProfile (default 200)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a configuration value")
    parser.add_argument("--name", default="flow", help="results go to profile-<name>.json and .md")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    parser.add_argument("--pstats", type=Path, help="also save the raw profile here (for pstats or snakeviz)")
    options = parser.parse_args(argv)
    for item in options.set:
        key, _, value = item.partition("=")
        os.environ[key.strip()] = value
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("Set DATABASE_URL (run under scripts/services.py).")
    setup_django(options.experiment)

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    assert client.post("/launch").status_code == 200
    queries = {step: [] for step in STEPS}
    wall = {step: [] for step in STEPS}
    cpu = {step: [] for step in STEPS}
    statements = {step: {} for step in STEPS}

    def measured(step, call):
        # The query log is a bounded deque (9,000 entries): once full, CaptureQueriesContext's
        # index slicing miscounts, so start each step with an empty log.
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = call()
            wall[step].append(time.perf_counter() - started)
            cpu[step].append(time.process_time() - started_cpu)
        assert response.status_code == 200, (step, response.status_code, response.content[:300])
        queries[step].append(len(captured.captured_queries))
        for query in captured.captured_queries:
            kind = query["sql"].split(None, 1)[0].upper()
            statements[step][kind] = statements[step].get(kind, 0) + 1
        return response.json()

    def plain(step, call):
        response = call()
        assert response.status_code == 200, (step, response.status_code)
        return response.json()

    settled = {"statements": [], "kinds": {}, "log_records": [], "redis_round_trips": [], "cpu": []}

    def settle_measured(participant_id) -> None:
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured, WorkerLogging() as logs, RedisRoundTrips() as redis:
            started_cpu = time.process_time()
            settle(participant_id)
            settled["cpu"].append(time.process_time() - started_cpu)
        settled["statements"].append(len(captured.captured_queries))
        settled["log_records"].append(logs.records)
        settled["redis_round_trips"].append(redis.count)
        for query in captured.captured_queries:
            kind = query["sql"].split(None, 1)[0].upper()
            settled["kinds"][kind] = settled["kinds"].get(kind, 0) + 1

    for number in range(20):  # warm caches, the experiment's import, the connection
        with WorkerLogging():
            settle(participant(client, -1 - number, plain))
    with RedisRoundTrips() as whole_run:
        for number in range(options.participants):
            settle_measured(participant(client, number, measured))

    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for number in range(options.profiled):
        participant(client, 100_000 + number, plain)
    profiler.disable()
    profiled_seconds = time.perf_counter() - started
    settle_profiler = cProfile.Profile()
    for number in range(options.profiled):
        participant_id = participant(client, 200_000 + number, plain)
        with WorkerLogging():
            settle_profiler.runcall(settle, participant_id)
    if options.pstats:
        options.pstats.parent.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(options.pstats)

    per_step = {}
    for step in STEPS:
        count = len(wall[step])
        per_step[step] = {
            "queries": round(statistics.mean(queries[step]), 2),
            "statements": {kind: round(total / count, 2) for kind, total in sorted(statements[step].items())},
            "wall_ms_median": round(1000 * statistics.median(wall[step]), 2),
            "cpu_ms_median": round(1000 * statistics.median(cpu[step]), 2),
        }
    total_queries = sum(entry["queries"] for entry in per_step.values())
    total_wall = sum(entry["wall_ms_median"] for entry in per_step.values())
    total_cpu = sum(entry["cpu_ms_median"] for entry in per_step.values())
    result = {
        "experiment": Path(options.experiment).name,
        "settings": options.set,
        "participants": options.participants,
        "per_step": per_step,
        "per_participant": {
            "requests": len(STEPS),
            "queries": round(total_queries, 1),
            "wall_ms": round(total_wall, 1),
            "cpu_ms": round(total_cpu, 1),
        },
        "settle": {
            "statements": round(statistics.mean(settled["statements"]), 2),
            "by_kind": {kind: round(total / options.participants, 2) for kind, total in sorted(settled["kinds"].items())},
            "log_records": round(statistics.mean(settled["log_records"]), 2),
            "redis_round_trips": round(statistics.mean(settled["redis_round_trips"]), 2),
            # Round trips other threads made during the whole measured run, per participant.
            "redis_round_trips_elsewhere": round(whole_run.elsewhere / options.participants, 2),
            "cpu_ms_median": round(1000 * statistics.median(settled["cpu"]), 2),
        },
        "profiled": {"participants": options.profiled, "seconds": round(profiled_seconds, 2)},
    }
    options.results.mkdir(parents=True, exist_ok=True)
    (options.results / f"profile-{options.name}.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# Where a flow request's time goes",
        "",
        "Written by `benchmarks/load/profile_flow.py`: the flow in process through Django's test client",
        f"(middleware and views, no web server), one participant at a time, {options.participants} participants,",
        f"experiment `{Path(options.experiment).name}`{' with ' + ', '.join(options.set) if options.set else ''},",
        "against throwaway PostgreSQL; medians. CPU is this process's (Python) CPU; wall minus CPU is mostly",
        "waiting for PostgreSQL.",
        "",
        "| step | SQL statements | by kind | wall ms | CPU ms |",
        "|---|---|---|---|---|",
    ]
    for step, entry in per_step.items():
        kinds = ", ".join(f"{kind} {count:g}" for kind, count in entry["statements"].items())
        lines.append(f"| {step} | {entry['queries']:g} | {kinds} | {entry['wall_ms_median']} | {entry['cpu_ms_median']} |")
    lines += [
        f"| **participant (7 requests)** | **{total_queries:g}** | | **{total_wall:.1f}** | **{total_cpu:.1f}** |",
        "",
        "The worker's part of each submission, the settling task run in process after `worker_complete`",
        "as a worker at `--loglevel INFO` runs it (Celery's own work and its two log lines per task,",
        "received and succeeded, not included); means, CPU the median. Redis round trips: the task's",
        "thread's, then other threads' (the log records' writer) over the whole run, per participant:",
        "",
        "| step | SQL statements | by kind | log records | Redis round trips | other threads | CPU ms |",
        "|---|---|---|---|---|---|---|",
        "| settle | {statements:g} | {kinds} | {log_records:g} | {redis_round_trips:g} | {redis_round_trips_elsewhere:g} "
        "| {cpu_ms_median} |".format(
            kinds=", ".join(f"{kind} {count:g}" for kind, count in result["settle"]["by_kind"].items()),
            **result["settle"],
        ),
        "",
        *profile_section(
            f"cProfile over {options.profiled} participants ({profiled_seconds:.1f} s with the profiler's "
            "overhead), top functions by cumulative time:",
            profiler,
            functions=(45, 30),
        ),
        *profile_section(
            f"cProfile of the settling task over {options.profiled} participants, by cumulative time:",
            settle_profiler,
            functions=(40, 25),
        ),
    ]
    (options.results / f"profile-{options.name}.md").write_text("\n".join(lines))
    print("\n".join(lines[:30]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
