"""What a real Celery worker spends settling submissions: Redis commands, log records, CPU.

    .venv/bin/python scripts/services.py --throwaway -- .venv/bin/python benchmarks/load/settle_worker.py

Runs `--participants` participants of the benchmark experiment through the flow in process
(Django's test client), which queues one settling task each on the Redis broker; then starts
one worker as the production layout does (threads pool, 4 threads, `--loglevel INFO`), waits
until every submission is settled and stops it. Counts, from Redis's own statistics, the
commands the worker sent per task, by name, the log records it kept for the dashboard and
the round trips that wrote them; and the worker's CPU per task (a timing, so only for
comparing runs of one sitting). The tasks are drained as a backlog: the log writer batches
as it would at the benchmark's steady 50 submissions per second or more. Writes
benchmarks/results/settle-worker-<name>.json.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.load.procstat import cpu_seconds, process_tree  # noqa: E402
from benchmarks.load.profile_flow import participant, setup_django  # noqa: E402

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
WORKER = ["-m", "celery", "-A", "dallinger_project", "worker", "--pool", "threads", "--concurrency", "4",
          "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip


def command_calls(redis) -> dict[str, int]:
    """Calls per command since the statistics were last reset (INFO commandstats)."""
    return {name.removeprefix("cmdstat_"): stats["calls"] for name, stats in redis.info("commandstats").items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiment", default=str(REPO_ROOT / "benchmarks" / "load" / "experiment"))
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--name", default="now", help="results go to settle-worker-<name>.json")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    options = parser.parse_args(argv)
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        raise SystemExit("Set DATABASE_URL and REDIS_URL (run under scripts/services.py).")
    setup_django(options.experiment)

    import redis
    from django.test import Client

    from dashboard.logger.records import STAMP_KEY
    from recruitment.models import SubmissionSettlement

    client = Client()
    assert client.post("/launch").status_code == 200

    def plain(step, call):
        response = call()
        assert response.status_code == 200, (step, response.status_code)
        return response.json()

    for number in range(options.participants):
        participant(client, number, plain)
    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    stamp_before = int(broker.get(STAMP_KEY) or 0)
    broker.config_resetstat()

    environment = {**os.environ, "DALLINGER_EXPERIMENT": options.experiment, "DJANGO_LOG_LEVEL": "INFO"}
    worker = subprocess.Popen([sys.executable, *WORKER], cwd=REPO_ROOT, env=environment,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    unsettled = SubmissionSettlement.objects.filter(recruited_at=None).exclude(recruit="none")
    try:
        deadline = time.monotonic() + 600

        def wait_while(condition, interval):
            while condition():
                if time.monotonic() > deadline or worker.poll() is not None:
                    raise SystemExit("The worker did not settle every submission.")
                time.sleep(interval)

        # The worker's CPU from its first settled task on, so its start-up is not counted.
        wait_while(lambda: unsettled.count() == options.participants, 0.02)
        first_cpu, first_left = cpu_seconds(process_tree(worker.pid)), unsettled.count()
        wait_while(unsettled.exists, 0.2)
        worker_cpu = cpu_seconds(process_tree(worker.pid)) - first_cpu
    finally:
        worker.send_signal(signal.SIGTERM)  # a warm shutdown, as a deployment stops it
        worker.wait(timeout=120)
    calls = command_calls(broker)
    settled = SubmissionSettlement.objects.exclude(recruited_at=None).count()
    records = int(broker.get(STAMP_KEY) or 0) - stamp_before
    # The log writer is the only user of INCR (one per record, before batching) and INCRBY
    # (one per batch): its round trips.
    log_writes = calls.get("incr", 0) + calls.get("incrby", 0)
    result = {
        "experiment": Path(options.experiment).name,
        "settled": settled,
        "per_task": {
            "redis_commands": round(sum(calls.values()) / settled, 2),
            "log_records": round(records / settled, 2),
            "log_round_trips": round(log_writes / settled, 3),
            "worker_cpu_ms": round(1000 * worker_cpu / first_left, 2),
        },
        "redis_commands_by_name_per_task": {
            name: round(count / settled, 3) for name, count in sorted(calls.items(), key=lambda item: -item[1])
        },
    }
    options.results.mkdir(parents=True, exist_ok=True)
    (options.results / f"settle-worker-{options.name}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
