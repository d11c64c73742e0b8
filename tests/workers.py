"""Real Celery worker processes on the test database, for the tests that need one."""

import sys
from pathlib import Path

from experiments.running.processes import ChildProcess
from tests.polling import poll_until
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
    try:
        poll_until(condition, what, timeout=timeout, interval=0.1)
    except AssertionError as timed_out:
        raise AssertionError(f"{timed_out}; the worker's log:\n{worker.log_tail(40)}") from None
