"""The production process layout on one machine: web server processes, a Celery worker, celery beat.

Used by `scripts/production` (run it until Ctrl-C) and by the load benchmark (run it, measure,
stop it). The `Procfile` and `compose.yaml` at the repository root describe the same processes.

Web servers, each run with `web_processes` processes:

- `gthread`: gunicorn's threaded WSGI workers for HTTP (persistent database connections are
  reused, one per worker thread), plus one daphne process for websockets, behind nginx
  (deploy/nginx/dallinger.conf.template), which sends websocket upgrades to daphne and
  everything else to gunicorn. Without the proxy, gunicorn listens on `port` and daphne on
  `websocket_port` (a free port unless given).
- `uvicorn`: gunicorn with uvicorn's ASGI workers (`uvicorn_worker.UvicornWorker`): HTTP and
  websockets in the same processes.
- `daphne`: `web_processes` daphne processes (HTTP and websockets) accepting on one listening
  socket that this module binds and hands to each of them (`daphne --fd`).
"""

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from experiments.running.processes import ChildProcess

REPO_ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = REPO_ROOT / "deploy" / "gunicorn.conf.py"
NGINX_TEMPLATE = REPO_ROOT / "deploy" / "nginx" / "dallinger.conf.template"
SERVERS = ("gthread", "uvicorn", "daphne")
#: Chosen by measurement: see benchmarks/results/servers.md and docs/deployment.md.
DEFAULT_SERVER = "gthread"


@dataclass
class LayoutOptions:
    """What to run: the web server kind, how many web processes, where they listen."""

    server: str = DEFAULT_SERVER
    web_processes: int = 2
    threads: int = 4  # gthread only: request threads per web process
    host: str = "127.0.0.1"
    port: int = 8000
    websocket_port: int | None = None  # gthread only; default: a free port
    proxy: bool | None = None  # nginx in front; default: with gthread only
    worker_concurrency: int = 4  # Celery worker threads
    beat: bool = True
    extra_env: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.server not in SERVERS:
            raise ValueError(f"Unknown web server {self.server!r}: choose one of {', '.join(SERVERS)}.")
        if self.web_processes < 1 or self.threads < 1 or self.worker_concurrency < 1:
            raise ValueError("web_processes, threads and worker_concurrency must be at least 1.")
        if self.proxy is None:
            self.proxy = self.server == "gthread"
        # Behind the proxy the servers listen on internal ports; the proxy takes `port`.
        self.http_port = free_port(self.host) if self.proxy else self.port
        if self.websocket_port is None:
            self.websocket_port = free_port(self.host)

    def database_connections(self) -> int | None:
        """The most PostgreSQL connections the layout holds at once (for sizing `max_connections`).

        gthread: one persistent connection per request thread, plus daphne's (websockets), the
        worker's threads' and beat's. The ASGI servers run each request's synchronous code in a
        thread of its own, which opens a connection of its own that is not reused: their count
        follows the requests in flight, not the configuration (None).
        """
        if self.server != "gthread":
            return None
        return self.web_processes * self.threads + 1 + self.worker_concurrency + (1 if self.beat else 0)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on `host` now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class ProcessSpec:
    """One process of the layout: its name, command line and inherited file descriptors."""

    name: str
    argv: list
    pass_fds: tuple = ()


def _listening_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def web_specs(options: LayoutOptions, python: str = sys.executable) -> tuple[list[ProcessSpec], list[socket.socket]]:
    """The web processes' commands, and the sockets the caller must keep open while they run."""
    gunicorn = [python, "-m", "gunicorn", "--config", str(GUNICORN_CONFIG), "--bind", f"{options.host}:{options.http_port}",
                "--workers", str(options.web_processes)]  # fmt: skip
    if options.server == "gthread":
        http = ProcessSpec(
            "web", [*gunicorn, "--worker-class", "gthread", "--threads", str(options.threads),
                    "dallinger_project.wsgi:application"],
        )  # fmt: skip
        websockets = ProcessSpec(
            "websockets",
            [python, "-m", "daphne", "-b", options.host, "-p", str(options.websocket_port),
             "dallinger_project.asgi:application"],
        )  # fmt: skip
        return [http, websockets], []
    if options.server == "uvicorn":
        if importlib.util.find_spec("uvicorn_worker") is None:
            raise RuntimeError("The uvicorn server needs benchmarks/requirements.txt installed (uvicorn, uvicorn-worker).")
        spec = ProcessSpec(
            "web", [*gunicorn, "--worker-class", "uvicorn_worker.UvicornWorker", "dallinger_project.asgi:application"]
        )
        return [spec], []
    sock = _listening_socket(options.host, options.http_port)
    specs = [
        ProcessSpec(f"web.{number}", [python, "-m", "daphne", "--fd", str(sock.fileno()),
                                      "dallinger_project.asgi:application"], (sock.fileno(),))  # fmt: skip
        for number in range(1, options.web_processes + 1)
    ]
    return specs, [sock]


def nginx_binary() -> str:
    """nginx, installed with apt-get (Debian's `nginx`) when missing and running as root."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if found:
        return found
    if os.geteuid() != 0:
        raise RuntimeError("nginx is not installed: apt-get install nginx (or run without the proxy).")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "--no-install-recommends", "nginx"]):
        subprocess.run(command, env=env, stdout=sys.stderr, check=True)
    return "/usr/sbin/nginx"


def proxy_spec(options: LayoutOptions, state_dir: Path) -> ProcessSpec:
    """nginx in the foreground with a configuration written into `state_dir` from the template."""
    server_block = NGINX_TEMPLATE.read_text()
    for name, value in {
        "DALLINGER_PORT": f"{options.host}:{options.port}",
        "DALLINGER_HTTP_UPSTREAM": f"{options.host}:{options.http_port}",
        "DALLINGER_WEBSOCKET_UPSTREAM": f"{options.host}:{options.websocket_port}",
    }.items():
        server_block = server_block.replace("${" + name + "}", value)
    state_dir.mkdir(parents=True, exist_ok=True)
    temp = state_dir / "nginx-temp"
    temp.mkdir(exist_ok=True)
    user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""
    config = state_dir / "nginx.conf"
    config.write_text(
        f"{user}worker_processes 1;\npid {state_dir / 'nginx.pid'};\nerror_log stderr warn;\n"
        "events { worker_connections 4096; }\n"
        "http {\n  access_log off;\n"
        + "".join(f"  {kind}_temp_path {temp / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        + server_block + "}\n"
    )
    return ProcessSpec("proxy", [nginx_binary(), "-e", "stderr", "-p", str(state_dir), "-c", str(config),
                                 "-g", "daemon off;"])  # fmt: skip


def background_specs(options: LayoutOptions, state_dir: Path, python: str = sys.executable) -> list[ProcessSpec]:
    """The Celery worker and (optionally) celery beat."""
    celery = [python, "-m", "celery", "-A", "dallinger_project"]
    specs = [
        ProcessSpec(
            "worker",
            [*celery, "worker", "--pool", "threads", "--concurrency", str(options.worker_concurrency),
             "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        )  # fmt: skip
    ]
    if options.beat:
        specs.append(
            ProcessSpec(
                "beat",
                [*celery, "beat", "--loglevel", "INFO", "--schedule", str(state_dir / "celerybeat-schedule")],
            )  # fmt: skip
        )
    return specs


def start_child(spec: ProcessSpec, env: dict, log_dir: Path) -> ChildProcess:
    """Start a process of the layout in its own process group, its output in `<name>.log`."""
    return ChildProcess(
        spec.name, spec.argv, env, log_dir / f"{spec.name}.log", cwd=REPO_ROOT, pass_fds=spec.pass_fds
    )


class Layout:
    """The layout's processes, started together and stopped together."""

    def __init__(self, options: LayoutOptions, env: dict, log_dir: Path):
        self.options = options
        self.env = {**env, **options.extra_env, "PYTHONUNBUFFERED": "1"}
        self.log_dir = log_dir
        self.children: list[ChildProcess] = []
        self._sockets: list[socket.socket] = []

    def start(self, timeout: float = 60.0) -> None:
        """Start every process and wait until the web port accepts connections."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        web, self._sockets = web_specs(self.options)
        if self.options.proxy:
            web.append(proxy_spec(self.options, self.log_dir))
        try:
            for spec in [*web, *background_specs(self.options, self.log_dir)]:
                self.children.append(start_child(spec, self.env, self.log_dir))
        finally:
            # The children hold their own copies of the listening socket.
            for sock in self._sockets:
                sock.close()
        self.wait_for_port(self.options.http_port, timeout)
        if self.options.server == "gthread":
            self.wait_for_port(self.options.websocket_port, timeout)
        if self.options.proxy:
            self.wait_for_port(self.options.port, timeout)

    def wait_for_port(self, port: int, timeout: float) -> None:
        """Wait until `port` accepts connections; RuntimeError if a process dies or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check()
            try:
                with socket.create_connection((self.options.host, port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"Nothing listens on port {port} after {timeout:.0f} s.")

    def check(self) -> None:
        """RuntimeError naming the first process that has stopped, with the end of its output."""
        for child in self.children:
            if not child.running:
                raise RuntimeError(f"The {child.name} process stopped. Its output:\n{child.log_tail()}")

    def pids(self) -> dict[str, int]:
        """The root pid of each process (their process trees hold the workers)."""
        return {child.name: child.pid for child in self.children}

    def stop(self, grace: float = 15.0) -> None:
        """Stop the web processes first (no new work), then the worker and beat."""
        web = [child for child in self.children if child.name.startswith(("proxy", "web", "websockets"))]
        rest = [child for child in self.children if child not in web]
        for group in (web, rest):
            for child in group:
                child.terminate()
            for child in group:
                child.wait(grace)
        self.children = []
