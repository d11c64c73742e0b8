"""The child processes of a run (web server, task worker), started and stopped cleanly."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path


class ChildProcess:
    """A child in its own process group, with its output in a log file.

    Its own group lets a run stop it and everything it started (a worker's browsers)
    together, and keeps a terminal's Ctrl-C for the run itself to handle.
    """

    def __init__(self, name: str, command: list[str], env: dict, log_path: Path, cwd=None, pass_fds=()):
        self.name = name
        self.command = command
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            pass_fds=pass_fds,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        """The child's process id (also its process group's)."""
        return self.process.pid

    @property
    def running(self) -> bool:
        """Whether the process is still alive."""
        return self.process.poll() is None

    @property
    def returncode(self) -> int | None:
        """Its exit status once it has stopped (negative: the signal that killed it), else None."""
        return self.process.poll()

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the child's output."""
        if not self._log.closed:  # it is closed once the process has been waited for
            self._log.flush()
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM to the whole group, then SIGKILL after `grace` seconds if anything is left."""
        self.terminate()
        self.wait(grace)

    def terminate(self) -> None:
        """SIGTERM to the whole group (so several children can be asked to stop at once)."""
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass

    def wait(self, grace: float) -> None:
        """Wait up to `grace` seconds, then SIGKILL whatever is left of the group."""
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self._log.close()


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether nothing listens on `host:port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def wait_for_port(port: int, child: ChildProcess, timeout: float = 30.0, host: str = "127.0.0.1") -> bool:
    """Wait until `host:port` accepts connections; False if the child died or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.running:
            return False
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False
