"""Keeping named child processes running: restart a stopped one after a growing pause, give up
when one keeps stopping.

The production layout (deploy/layout.py) runs its processes through a `Supervisor`. A process
that stops (a crash, `kill -9`, the out-of-memory killer) is started again after
`RestartPolicy.delay` (doubling from `first_delay` up to `max_delay` while its crashes keep
coming); once a process has stopped more than `crashes_allowed` times within `window`
seconds, `check()` raises `GaveUp` naming it, how it ended and the end of its output, and the
caller stops everything else. `RestartPolicy.fail_fast()` (no restarts) gives up at the first
stop, for runs that must not continue with a replaced process (a benchmark's measurements).
"""

import signal
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Protocol


class Process(Protocol):
    """What the supervisor needs of a started process (experiments.running.processes.ChildProcess)."""

    name: str

    @property
    def pid(self) -> int: ...

    @property
    def running(self) -> bool: ...

    @property
    def returncode(self) -> int | None: ...

    def log_tail(self, lines: int = 20) -> str: ...

    def terminate(self) -> None: ...

    def wait(self, grace: float) -> None: ...


@dataclass(frozen=True)
class RestartPolicy:
    """How soon a stopped process is started again, and how many stops are too many."""

    first_delay: float = 1.0  # seconds before the first restart
    max_delay: float = 30.0  # the pause stops doubling here
    crashes_allowed: int = 5  # restarts within `window`; one more stop gives up
    window: float = 300.0  # seconds over which stops are counted

    @classmethod
    def fail_fast(cls) -> "RestartPolicy":
        """No restarts: the first stop gives up."""
        return cls(crashes_allowed=0)

    def delay(self, recent_crashes: int) -> float:
        """The pause before the restart that follows the `recent_crashes`-th stop within the window."""
        return min(self.max_delay, self.first_delay * 2 ** max(recent_crashes - 1, 0))


class GaveUp(RuntimeError):
    """A process stopped once too often: which one, how it ended, and the end of its output."""

    def __init__(self, name: str, how: str, crashes: int, policy: RestartPolicy, output: str):
        self.name = name
        self.how = how
        self.output = output
        if policy.crashes_allowed:
            why = f"it stopped {crashes} times within {policy.window:.0f} s"
        else:
            why = "processes are not restarted in this run"
        super().__init__(f"The {name} process {how}; giving up ({why}). The end of its output:\n{output}")


def how_it_ended(returncode: int | None) -> str:
    """`exited with status 1`, `was killed by SIGKILL`: a returncode in words."""
    if returncode is None:
        return "is still running"
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"


class Supervised:
    """One process kept running: how to start it, its current run, and its recent stops."""

    def __init__(self, name: str, start: Callable[[], Process]):
        self.name = name
        self.start = start
        self.process: Process | None = None
        self.crashes: deque[float] = deque()
        self.restart_at: float | None = None
        self.restarts = 0


class Supervisor:
    """Starts processes, notices when one stops, restarts it with back-off, gives up on repeats.

    Not thread-safe: one loop calls `check()` now and then (every half second or so).
    `report` receives one line per stop and restart, for the operator.
    """

    def __init__(self, policy: RestartPolicy, report: Callable[[str], None] = lambda line: None, clock=time.monotonic):
        self.policy = policy
        self.report = report
        self.clock = clock
        self.entries: list[Supervised] = []

    def add(self, name: str, start: Callable[[], Process]) -> Process:
        """Start a process now (`start()` returns it) and keep it running from here on."""
        entry = Supervised(name, start)
        entry.process = start()
        self.entries.append(entry)
        return entry.process

    def check(self) -> None:
        """Restart the processes whose pause is over, note the ones that stopped; `GaveUp` when
        one has stopped too often."""
        now = self.clock()
        for entry in self.entries:
            if entry.process is None:
                if now >= entry.restart_at:
                    entry.process = entry.start()
                    entry.restart_at = None
                    entry.restarts += 1
                    self.report(f"{entry.name}: started again (pid {entry.process.pid}).")
                continue
            if entry.process.running:
                continue
            self._stopped(entry, now)

    def _stopped(self, entry: Supervised, now: float) -> None:
        process = entry.process
        how = how_it_ended(process.returncode)
        # What the process started (gunicorn's or nginx's workers) goes with it, so that its
        # replacement finds the ports free; and its log file is closed.
        process.wait(0)
        entry.process = None
        entry.crashes.append(now)
        while entry.crashes and entry.crashes[0] < now - self.policy.window:
            entry.crashes.popleft()
        if len(entry.crashes) > self.policy.crashes_allowed:
            raise GaveUp(entry.name, how, len(entry.crashes), self.policy, process.log_tail())
        delay = self.policy.delay(len(entry.crashes))
        entry.restart_at = now + delay
        self.report(
            f"{entry.name}: {how}; starting it again in {delay:g} s "
            f"(stop {len(entry.crashes)} of {self.policy.crashes_allowed} allowed within {self.policy.window:.0f} s)."
        )

    def running(self) -> dict[str, Process]:
        """The processes running now, by name (one being restarted is missing)."""
        return {entry.name: entry.process for entry in self.entries if entry.process is not None}

    def restarts(self) -> dict[str, int]:
        """How many times each process was started again."""
        return {entry.name: entry.restarts for entry in self.entries}

    def stop(self, names: list[str], grace: float) -> None:
        """Stop the named processes together (SIGTERM to all, then wait up to `grace` s each) and
        forget them, so that nothing starts them again."""
        chosen = [entry for entry in self.entries if entry.name in names]
        for entry in chosen:
            if entry.process is not None:
                entry.process.terminate()
        for entry in chosen:
            if entry.process is not None:
                entry.process.wait(grace)
        self.entries = [entry for entry in self.entries if entry not in chosen]
