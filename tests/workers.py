"""Real Celery worker processes on the test database, for the tests that need one."""

import sys
import time
from pathlib import Path

from experiments.running.processes import ChildProcess
from tests.web_servers import PROJECT_DIR


def start_worker(environment: dict, log: Path, *, concurrency: int = 2, queue: str | None = None) -> ChildProcess:
    """A worker with a thread pool, as in the production layout, its output in `log`."""
    command = [sys.executable, "-m", "celery", "-A", "dallinger_project", "worker", "--pool", "threads",
               "--concurrency", str(concurrency), "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
    if queue:
        command += ["--queues", queue]
    return ChildProcess(log.stem, command, environment, log, cwd=PROJECT_DIR)


def wait_for(condition, timeout: float, worker: ChildProcess, what: str) -> None:
    """Wait until `condition()` holds; AssertionError with the worker's log after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; the worker's log:\n{worker.log_tail(40)}")
        time.sleep(0.1)
