"""deploy/supervisor.py with real short-lived child processes: restarts, back-off, giving up.

The processes are real (`python -c ...` in their own process groups, as the layout runs
them); time is a fake clock where a test needs the window or the pauses to pass, so that
nothing depends on how fast this machine is. Every wait polls with a generous deadline.
"""

import os
import signal
import sys
from pathlib import Path

import pytest

from deploy.supervisor import GaveUp, RestartPolicy, Supervisor, how_it_ended
from experiments.running.processes import ChildProcess
from tests.polling import poll_until

DEADLINE = 30.0
SLEEPER = "import time; print('up', flush=True); time.sleep(300)"


class FakeClock:
    """A clock the test moves forward by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def starter(tmp_path: Path, name: str, code: str):
    """A function that starts `python -c code` as the layout starts its processes."""

    def start():
        return ChildProcess(name, [sys.executable, "-c", code], dict(os.environ), tmp_path / f"{name}.log")

    return start


def wait_stopped(process):
    poll_until(lambda: not process.running, "the process to stop", timeout=DEADLINE)


@pytest.fixture
def supervisors():
    """Supervisors made by the test; whatever they still run is stopped afterwards."""
    made = []

    def make(policy, **kwargs):
        supervisor = Supervisor(policy, **kwargs)
        made.append(supervisor)
        return supervisor

    yield make
    for supervisor in made:
        supervisor.stop([entry.name for entry in supervisor.entries], grace=5)


def test_the_pause_before_a_restart_doubles_with_each_recent_stop_up_to_the_cap():
    policy = RestartPolicy(first_delay=1.0, max_delay=10.0)
    assert [policy.delay(crashes) for crashes in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_a_killed_process_is_started_again_after_its_pause(tmp_path, supervisors):
    # Given a supervised process
    clock, lines = FakeClock(), []
    supervisor = supervisors(RestartPolicy(first_delay=2.0), report=lines.append, clock=clock)
    first = supervisor.add("worker", starter(tmp_path, "worker", SLEEPER))

    # When it is killed
    os.kill(first.pid, signal.SIGKILL)
    wait_stopped(first)
    supervisor.check()

    # Then it is not started again before its pause is over, and then it is
    assert "worker" not in supervisor.running()
    assert lines == ["worker: was killed by SIGKILL; starting it again in 2 s (stop 1 of 5 allowed within 300 s)."]
    clock.now += 1.9
    supervisor.check()
    assert "worker" not in supervisor.running()
    clock.now += 0.1
    supervisor.check()
    second = supervisor.running()["worker"]
    assert second.pid != first.pid and second.running
    assert supervisor.restarts() == {"worker": 1}
    assert lines[-1] == f"worker: started again (pid {second.pid})."


def test_what_a_stopped_process_started_is_stopped_before_it_starts_again(tmp_path, supervisors):
    # Given a supervised process that started a process of its own (as gunicorn and nginx do)
    code = (
        "import subprocess, sys, time;"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)']);"
        "print(child.pid, flush=True); time.sleep(300)"
    )
    supervisor = supervisors(RestartPolicy(first_delay=0.0))
    parent = supervisor.add("web", starter(tmp_path, "web", code))
    poll_until(lambda: parent.log_path.read_text().strip(), "the grandchild's pid", timeout=DEADLINE)
    grandchild = int(parent.log_path.read_text().split()[0])

    # When the process itself is killed and the supervisor notices
    os.kill(parent.pid, signal.SIGKILL)
    wait_stopped(parent)
    supervisor.check()

    # Then what it started is gone too (its ports, say, are free for the replacement)
    def grandchild_gone():
        try:
            state = Path(f"/proc/{grandchild}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            return True
        return state == "Z"

    poll_until(grandchild_gone, "the grandchild to end", timeout=DEADLINE)


def test_a_process_that_keeps_stopping_makes_the_supervisor_give_up_naming_it(tmp_path, supervisors):
    # Given a process that fails as soon as it starts, allowed three restarts within a minute
    clock = FakeClock()
    policy = RestartPolicy(first_delay=1.0, max_delay=4.0, crashes_allowed=3, window=60.0)
    supervisor = supervisors(policy, clock=clock)
    code = "import sys; print('cannot connect to the broker', flush=True); sys.exit(3)"
    supervisor.add("beat", starter(tmp_path, "beat", code))

    # When it has stopped three times, it is started again each time
    for _ in range(3):
        wait_stopped(supervisor.running()["beat"])
        supervisor.check()
        clock.now += 10
        supervisor.check()
    # and the fourth stop within the window is one too many
    wait_stopped(supervisor.running()["beat"])
    with pytest.raises(GaveUp) as raised:
        supervisor.check()

    # Then the error names the process, how it ended and why the supervisor gave up, with its output
    error = raised.value
    assert error.name == "beat"
    assert error.how == "exited with status 3"
    assert "stopped 4 times within 60 s" in str(error)
    assert "cannot connect to the broker" in error.output


def test_stops_spread_wider_than_the_window_never_add_up_to_giving_up(tmp_path, supervisors):
    # Given a process allowed one restart per minute
    clock = FakeClock()
    supervisor = supervisors(RestartPolicy(first_delay=1.0, crashes_allowed=1, window=60.0), clock=clock)
    supervisor.add("worker", starter(tmp_path, "worker", SLEEPER))

    # When it is killed three times, each more than a minute after the last
    for _ in range(3):
        process = supervisor.running()["worker"]
        os.kill(process.pid, signal.SIGKILL)
        wait_stopped(process)
        supervisor.check()
        clock.now += 61
        supervisor.check()

    # Then it is running again each time, and its pause never grew
    assert supervisor.running()["worker"].running
    assert supervisor.restarts() == {"worker": 3}


def test_without_restarts_the_first_stop_gives_up(tmp_path, supervisors):
    supervisor = supervisors(RestartPolicy.fail_fast())
    process = supervisor.add("proxy", starter(tmp_path, "proxy", SLEEPER))
    os.kill(process.pid, signal.SIGTERM)
    wait_stopped(process)
    with pytest.raises(GaveUp, match="The proxy process was killed by SIGTERM; giving up"):
        supervisor.check()


def test_a_stopped_process_is_forgotten_not_restarted(tmp_path, supervisors):
    clock = FakeClock()
    supervisor = supervisors(RestartPolicy(first_delay=0.0), clock=clock)
    supervisor.add("web", starter(tmp_path, "web", SLEEPER))
    supervisor.add("worker", starter(tmp_path, "worker", SLEEPER))
    process = supervisor.running()["web"]

    supervisor.stop(["web"], grace=5)
    clock.now += 10
    supervisor.check()

    assert not process.running
    assert list(supervisor.running()) == ["worker"]


def test_how_a_process_ended_is_said_in_words():
    assert how_it_ended(1) == "exited with status 1"
    assert how_it_ended(0) == "exited with status 0"
    assert how_it_ended(-9) == "was killed by SIGKILL"
