"""The production process layout on one machine: web server processes, a Celery worker, celery beat.

Used by `scripts/production` (run it until Ctrl-C) and by the load benchmark (run it, measure,
stop it). The `Procfile` and `compose.yaml` at the repository root describe the same processes.

Web servers, each run with `web_processes` processes:

- `gthread` (the default) and `granian`: WSGI servers for HTTP, with `threads` request
  threads per process, each keeping one persistent database connection; granian parses HTTP
  in Rust and hands each request to a Python thread, gunicorn's gthread workers do it all in
  Python (granian spends 8–17% less CPU per request, but once lost a GET when a worker was
  killed, which gunicorn never has: docs/deployment.md). Beside them
  run `websocket_processes` ASGI processes for websockets (`websocket_server`: daphne or
  uvicorn), behind nginx (deploy/nginx/dallinger.conf.template), which sends websocket
  upgrades to them and everything else to the WSGI server. Behind nginx each websocket
  process has a port of its own and nginx gives a new socket to the one holding the fewest;
  without the proxy, the WSGI server listens on `port` and the websocket processes share one
  listening socket on `websocket_port` (a free port unless given). channels-redis carries
  frames between them, so several websocket processes need REDIS_URL.
- `uvicorn`: gunicorn with uvicorn's ASGI workers (`uvicorn_worker.UvicornWorker`): HTTP and
  websockets in the same processes.
- `daphne`: `web_processes` daphne processes (HTTP and websockets) accepting on one listening
  socket that this module binds and hands to each of them (`daphne --fd`).

The processes run under a `deploy.supervisor.Supervisor`: with a `RestartPolicy` (as
`scripts/production` runs it) a process that stops is started again, and the layout gives up
only when one keeps stopping; without one (the benchmark) the first stop gives up, because
measurements taken across a replaced process would mislead. gunicorn and granian themselves
replace a worker process of theirs that dies.
"""

import functools
import grp
import importlib.util
import os
import pwd
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from deploy.supervisor import RestartPolicy, Supervisor
from experiments.running.processes import ChildProcess

REPO_ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = REPO_ROOT / "deploy" / "gunicorn.conf.py"
NGINX_TEMPLATE = REPO_ROOT / "deploy" / "nginx" / "dallinger.conf.template"
SERVERS = ("gthread", "granian", "uvicorn", "daphne")
#: The WSGI servers: HTTP only, with websocket processes beside them behind nginx.
WSGI_SERVERS = ("gthread", "granian")
#: Chosen by measurement: see benchmarks/results/servers.md and docs/deployment.md.
DEFAULT_SERVER = "gthread"
#: The ASGI servers that can hold the websockets beside a WSGI server. uvicorn spends about a third
#: less CPU than daphne per frame it delivers (benchmarks/results/realtime.md).
WEBSOCKET_SERVERS = ("uvicorn", "daphne")
DEFAULT_WEBSOCKET_SERVER = "uvicorn"


def default_websocket_processes() -> int:
    """One websocket process per core: a process uses at most one (benchmarks/results/realtime.md)."""
    return os.cpu_count() or 1


@dataclass
class LayoutOptions:
    """What to run: the web server kind, how many web processes, where they listen."""

    server: str = DEFAULT_SERVER
    web_processes: int = 2
    threads: int = 4  # gthread and granian: request threads per web process
    host: str = "127.0.0.1"
    port: int = 8000
    websocket_port: int | None = None  # a WSGI server without the proxy; default: a free port
    websocket_processes: int | None = None  # WSGI servers only; default: one per core
    websocket_server: str = DEFAULT_WEBSOCKET_SERVER  # WSGI servers only
    proxy: bool | None = None  # nginx in front; default: with the WSGI servers
    worker_concurrency: int = 4  # Celery worker threads
    beat: bool = True
    extra_env: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.server not in SERVERS:
            raise ValueError(f"Unknown web server {self.server!r}: choose one of {', '.join(SERVERS)}.")
        if self.websocket_server not in WEBSOCKET_SERVERS:
            raise ValueError(
                f"Unknown websocket server {self.websocket_server!r}: choose one of {', '.join(WEBSOCKET_SERVERS)}."
            )
        if self.websocket_processes is None:
            self.websocket_processes = default_websocket_processes()
        if self.web_processes < 1 or self.threads < 1 or self.worker_concurrency < 1 or self.websocket_processes < 1:
            raise ValueError("web_processes, threads, websocket_processes and worker_concurrency must be at least 1.")
        if self.proxy is None:
            self.proxy = self.server in WSGI_SERVERS
        # Behind the proxy the servers listen on internal ports; the proxy takes `port`.
        self.http_port = free_port(self.host) if self.proxy else self.port
        if self.websocket_port is None:
            self.websocket_port = free_port(self.host)
        # Behind the proxy each websocket process listens on a port of its own, so that nginx
        # can choose among them; without it they share `websocket_port`.
        self.websocket_ports = [self.websocket_port]
        if self.proxy:
            self.websocket_ports += [free_port(self.host) for _ in range(self.websocket_processes - 1)]

    def database_connections(self) -> int | None:
        """The most PostgreSQL connections the layout holds at once (for sizing `max_connections`).

        WSGI servers: one persistent connection per request thread, plus one per websocket process
        (its synchronous code runs in one thread), the worker's threads' and beat's. The ASGI servers run each request's synchronous code in a
        thread of its own, which opens a connection of its own that is not reused: their count
        follows the requests in flight, not the configuration (None).
        """
        if self.server not in WSGI_SERVERS:
            return None
        return (
            self.web_processes * self.threads
            + self.websocket_processes
            + self.worker_concurrency
            + (1 if self.beat else 0)
        )


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
    if options.server in WSGI_SERVERS:
        if options.server == "gthread":
            command = [*gunicorn, "--worker-class", "gthread", "--threads", str(options.threads)]
        else:
            # --respawn-failed-workers: a worker process that dies is replaced, as gunicorn does.
            command = [python, "-m", "granian", "--interface", "wsgi", "--host", options.host,
                       "--port", str(options.http_port), "--workers", str(options.web_processes),
                       "--blocking-threads", str(options.threads), "--respawn-failed-workers", "--no-access-log"]  # fmt: skip
        websockets, sockets = websocket_specs(options, python)
        return [ProcessSpec("web", [*command, "dallinger_project.wsgi:application"]), *websockets], sockets
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


def websocket_command(options: LayoutOptions, python: str, where: list[str]) -> list[str]:
    """The command of one websocket process of `options.websocket_server`, listening `where`."""
    application = "dallinger_project.asgi:application"
    if options.websocket_server == "daphne":
        return [python, "-m", "daphne", *where, application]
    if importlib.util.find_spec("uvicorn") is None:
        raise RuntimeError("The uvicorn websocket server is not installed: pip install -r requirements.txt.")
    # Compression off, as daphne has it: browsers ask for it, and it costs each socket its
    # own zlib state and each frame a compression. No lifespan: Channels' router has none.
    # Warnings and errors only: a line for every socket opened and closed is noise.
    return [python, "-m", "uvicorn", *where, "--ws", "websockets-sansio", "--ws-per-message-deflate", "false",
            "--lifespan", "off", "--no-access-log", "--log-level", "warning", application]  # fmt: skip


def websocket_specs(options: LayoutOptions, python: str) -> tuple[list[ProcessSpec], list[socket.socket]]:
    """The websocket processes (beside a WSGI server), and the socket they share without the proxy."""
    count = options.websocket_processes
    names = ["websockets"] if count == 1 else [f"websockets.{number}" for number in range(1, count + 1)]
    if options.proxy or count == 1:
        if options.websocket_server == "daphne":
            places = [["-b", options.host, "-p", str(port)] for port in options.websocket_ports]
        else:
            places = [["--host", options.host, "--port", str(port)] for port in options.websocket_ports]
        return [ProcessSpec(name, websocket_command(options, python, where)) for name, where in zip(names, places)], []
    # Without the proxy, one port for all: the kernel hands each new socket to one of them.
    sock = _listening_socket(options.host, options.websocket_port)
    where = ["--fd", str(sock.fileno())]
    return [ProcessSpec(name, websocket_command(options, python, where), (sock.fileno(),)) for name in names], [sock]


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


def nginx_user() -> tuple[str, str] | None:
    """The user and group nginx's workers run as when it is started as root (None otherwise: then
    they run as whoever started it)."""
    if os.geteuid() != 0:
        return None
    user = pwd.getpwnam("nobody")
    try:
        group = grp.getgrnam("nogroup").gr_name
    except KeyError:
        group = grp.getgrgid(user.pw_gid).gr_name
    return user.pw_name, group


def nginx_worker_connections() -> int:
    """How many connections nginx's worker may hold: as many as this process's open-file limit allows.

    Each proxied websocket holds two (the browser's and the one to daphne), so nginx's usual
    4096 stopped at about 2,000 open sockets (benchmarks/results/realtime.md).
    """
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 65536
    return max(1024, min(soft - 64, 65536))  # some descriptors stay for logs and listening sockets


def nginx_temp_folder(user: tuple[str, str] | None) -> Path:
    """A folder of its own for nginx's buffers, which its workers can reach.

    nginx writes a request body larger than its memory buffer (8 or 16 KB), and a response larger
    than its proxy buffers, to files under its temp paths; its workers (`nobody` when started
    as root) must be able to reach them, or such a request gets a 500. The logs folder is
    private to its owner, so the buffers get a folder owned by nginx's user.
    """
    folder = Path(tempfile.mkdtemp(prefix="dallinger-nginx-"))
    if user is not None:
        shutil.chown(folder, user=user[0], group=user[1])
    return folder


def websocket_upstream(template: str, options: LayoutOptions) -> str:
    """The template with its websocket upstream's one `server` line made one line per websocket process."""
    line = "    server ${DALLINGER_WEBSOCKET_UPSTREAM};\n"
    if line not in template:
        raise RuntimeError(f"{NGINX_TEMPLATE} has no line {line.strip()!r} to list the websocket processes in.")
    servers = "".join(f"    server {options.host}:{port};\n" for port in options.websocket_ports)
    return template.replace(line, servers)


def proxy_spec(options: LayoutOptions, state_dir: Path, temp: Path, user: tuple[str, str] | None) -> ProcessSpec:
    """nginx in the foreground with a configuration written into `state_dir` from the template,
    its buffers under `temp` (see `nginx_temp_folder`), its workers running as `user`."""
    server_block = websocket_upstream(NGINX_TEMPLATE.read_text(), options)
    for name, value in {
        "DALLINGER_PORT": f"{options.host}:{options.port}",
        "DALLINGER_HTTP_UPSTREAM": f"{options.host}:{options.http_port}",
    }.items():
        server_block = server_block.replace("${" + name + "}", value)
    state_dir.mkdir(parents=True, exist_ok=True)
    config = state_dir / "nginx.conf"
    config.write_text(
        (f"user {user[0]} {user[1]};\n" if user else "")
        + f"worker_processes 1;\npid {state_dir / 'nginx.pid'};\nerror_log stderr warn;\n"
        f"events {{ worker_connections {nginx_worker_connections()}; }}\n"
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
             "--queues", "celery,bots",
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
    """The layout's processes, started together, kept running, and stopped together.

    `restart`: how a process that stops is started again (None: it is not; the first stop
    makes `check()` raise). `report` gets a line for each stop and restart.
    """

    def __init__(self, options: LayoutOptions, env: dict, log_dir: Path, restart: RestartPolicy | None = None,
                 report: Callable[[str], None] = lambda line: None):  # fmt: skip
        self.options = options
        self.env = {**env, **options.extra_env, "PYTHONUNBUFFERED": "1"}
        self.log_dir = log_dir
        if options.server in WSGI_SERVERS and options.websocket_processes > 1 and not self.env.get("REDIS_URL"):
            # Without Redis each process's channel layer is its own: a frame would reach only
            # the sockets of the process that received it.
            raise RuntimeError("Several websocket processes need REDIS_URL (channels-redis carries frames between them).")
        self.supervisor = Supervisor(restart or RestartPolicy.fail_fast(), report)
        self._sockets: list[socket.socket] = []
        self._nginx_temp: Path | None = None

    def start(self, timeout: float = 60.0) -> None:
        """Start every process and wait until the web port accepts connections."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        # Listening sockets stay open here while the layout runs: a daphne process started
        # again needs its copy.
        specs, self._sockets = web_specs(self.options)
        if self.options.proxy:
            user = nginx_user()
            self._nginx_temp = nginx_temp_folder(user)
            specs.append(proxy_spec(self.options, self.log_dir, self._nginx_temp, user))
        for spec in [*specs, *background_specs(self.options, self.log_dir)]:
            self.supervisor.add(spec.name, functools.partial(start_child, spec, self.env, self.log_dir))
        self.wait_for_port(self.options.http_port, timeout)
        if self.options.server in WSGI_SERVERS:
            for port in self.options.websocket_ports:
                self.wait_for_port(port, timeout)
        if self.options.proxy:
            self.wait_for_port(self.options.port, timeout)

    def wait_for_port(self, port: int, timeout: float) -> None:
        """Wait until `port` accepts connections; RuntimeError if the layout gives up or time runs out."""
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
        """Start again the processes that stopped, as the restart policy says; `GaveUp` (a
        RuntimeError naming the process, how it ended and the end of its output) when it gives up."""
        self.supervisor.check()

    def pids(self) -> dict[str, int]:
        """The root pid of each running process (their process trees hold the workers)."""
        return {name: process.pid for name, process in self.supervisor.running().items()}

    def stop(self, grace: float = 15.0) -> None:
        """Stop the web processes first (no new work), then the worker and beat."""
        names = [entry.name for entry in self.supervisor.entries]
        web = [name for name in names if name.startswith(("proxy", "web", "websockets"))]
        self.supervisor.stop(web, grace)
        self.supervisor.stop([name for name in names if name not in web], grace)
        for sock in self._sockets:
            sock.close()
        self._sockets = []
        if self._nginx_temp is not None:
            shutil.rmtree(self._nginx_temp, ignore_errors=True)
            self._nginx_temp = None
