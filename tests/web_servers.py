"""Separate web server processes on the test database, and clients that hit them all at once."""

import http.client
import json
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from experiments.running.processes import ChildProcess, wait_for_port

PROJECT_DIR = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
TIMEOUT_SECONDS = 60
STARTUP_SECONDS = 60
ASGI_APPLICATION = "dallinger_project.asgi:application"


@dataclass(frozen=True)
class Call:
    """One HTTP request: method, path, form fields and cookies."""

    method: str
    path: str
    fields: dict | None = None
    cookies: dict | None = None


def holding(*participant_ids) -> dict:
    """The cookies of a browser that created these participants (experiments/binding.py)."""
    from core.models import Participant
    from experiments.binding import cookie_name, participant_token

    participants = Participant.objects.filter(pk__in=participant_ids)
    return {cookie_name(participant.pk): participant_token(participant) for participant in participants}


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database Django is connected to (the test database, in tests)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'], safe='')}"


def server_environment(*, settings_dict: dict, experiment: Path) -> dict:
    """The environment of a server process: the test database, the experiment, and no Redis
    nor task folder, so that background tasks run in the web process after each commit."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "DALLINGER_TASK_QUEUE_DIR", "DATABASE_URL")
    }
    environment.update(
        DATABASE_URL=database_url(settings_dict),
        DALLINGER_EXPERIMENT=str(experiment),
        DJANGO_SETTINGS_MODULE="dallinger_project.settings",
        PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_DIR), os.environ.get("PYTHONPATH")])),
    )
    return environment


def free_port() -> int:
    """A port nothing listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class WebServers:
    """Several daphne processes (the project's web server) serving the same database.

    Each is a separate process on its own port; requests are spread over them in turn.
    """

    def __init__(self, *, count: int, environment: dict, log_dir: Path, ports: list[int] | None = None):
        """`ports`: where they listen (free ports if not given), for an address needed before they start."""
        self.children: list[ChildProcess] = []
        self.ports: list[int] = []
        try:
            for number in range(count):
                port = ports[number] if ports else free_port()
                command = [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(port), ASGI_APPLICATION]
                self.children.append(ChildProcess(f"web{number}", command, environment, log_dir / f"web{number}.log"))
                self.ports.append(port)
            for child, port in zip(self.children, self.ports):
                self._wait_until_answering(child, port)
        except BaseException:
            self.stop()
            raise
        self._log_offsets = [0] * count

    def _wait_until_answering(self, child: ChildProcess, port: int) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        if not wait_for_port(port, child, timeout=STARTUP_SECONDS, host=HOST):
            raise RuntimeError(f"{child.name} did not start on port {port}:\n{child.log_tail(40)}")
        while time.monotonic() < deadline:
            status, _ = request(port, Call("GET", "/summary"))
            if status == 200:
                return
            time.sleep(0.2)
        raise RuntimeError(f"{child.name} does not answer /summary:\n{child.log_tail(40)}")

    def stop(self) -> None:
        """Stop every server process."""
        for child in self.children:
            child.stop()

    def port_for(self, index: int) -> int:
        """The port of the server the `index`th request goes to (round robin)."""
        return self.ports[index % len(self.ports)]

    def call(self, call: Call, index: int = 0) -> tuple[int | None, dict]:
        """Send one request to the server `index` picks; its status and decoded JSON body."""
        return request(self.port_for(index), call)

    def all_at_once(self, calls: list[Call]) -> list[tuple[int | None, dict]]:
        """`all_at_once` over these servers, alternating between them."""
        return all_at_once(self.ports, calls)

    def new_tracebacks(self) -> list[str]:
        """Tracebacks the servers logged since the last call (errors the answers may hide)."""
        found = []
        for number, child in enumerate(self.children):
            text = child.log_path.read_text(errors="replace")
            new, self._log_offsets[number] = text[self._log_offsets[number] :], len(text)
            if "Traceback" in new:
                found.append(f"{child.name}:\n{new[max(new.index('Traceback') - 500, 0) :][:4000]}")
        return found


def all_at_once(ports: list[int], calls: list[Call]) -> list[tuple[int | None, dict]]:
    """Send every call from its own thread and connection, released together by a barrier,
    alternating between `ports`; the results (status and decoded JSON body) in the order of
    `calls`."""
    barrier = threading.Barrier(len(calls))
    results: list = [(None, {"exception": "never ran"})] * len(calls)

    def run(index: int, call: Call) -> None:
        try:
            # Connected first, so that the requests leave together.
            connection = http.client.HTTPConnection(HOST, ports[index % len(ports)], timeout=TIMEOUT_SECONDS)
            connection.connect()
            barrier.wait(timeout=TIMEOUT_SECONDS)
            results[index] = send(connection, call)
        except Exception as error:  # reported by the test, not lost in the thread
            barrier.abort()
            results[index] = (None, {"exception": repr(error)})

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_SECONDS * 2)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    return results


def request(port: int, call: Call) -> tuple[int | None, dict]:
    """One request on a new connection; (None, ...) if the server cannot be reached."""
    connection = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT_SECONDS)
    try:
        return send(connection, call)
    except OSError as error:
        return None, {"exception": repr(error)}


def send(connection: http.client.HTTPConnection, call: Call) -> tuple[int, dict]:
    """Send `call` on `connection` and close it; the status and the decoded JSON body."""
    try:
        body = urlencode(call.fields or {})
        if call.method == "GET":
            path, body, headers = f"{call.path}?{body}" if body else call.path, None, {}
        else:
            path, headers = call.path, {"Content-Type": "application/x-www-form-urlencoded"}
        if call.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in call.cookies.items())
        connection.request(call.method, path, body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, {"unparsed": raw[:2000].decode(errors="replace")}
