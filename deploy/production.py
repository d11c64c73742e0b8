"""Run the production layout on this machine until Ctrl-C (what `scripts/production` runs).

With DATABASE_URL and REDIS_URL set, uses those servers. Without them it runs itself again
under scripts/services.py, which starts PostgreSQL and Redis with their data kept in a folder
(`--data DIR`, default .production-data/ in the repository; reused on the next start) or,
with `--throwaway`, in temporary folders removed when it stops. Then it migrates, ensures the
dashboard account, starts the web processes, a Celery worker and celery beat
(deploy/layout.py), launches the experiment, prints where participants and the experimenter
go, and keeps the processes running: one that stops is started again after a growing pause,
and the layout stops, naming the process and showing the end of its output, only when one
keeps stopping (deploy/supervisor.py).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from deploy.layout import (  # noqa: E402
    DEFAULT_SERVER,
    DEFAULT_WEBSOCKET_SERVER,
    SERVERS,
    WEBSOCKET_SERVERS,
    WSGI_SERVERS,
    Layout,
    LayoutOptions,
)
from deploy.supervisor import RestartPolicy  # noqa: E402

SERVICES = REPO_ROOT / "scripts" / "services.py"
DEFAULT_DATA = REPO_ROOT / ".production-data"
#: Set in the environment of the run under scripts/services.py: where its data lives.
DATA_MARK = "DALLINGER_PRODUCTION_DATA"
RESTARTS = RestartPolicy(first_delay=1.0, max_delay=30.0, crashes_allowed=5, window=300.0)


class Stop(Exception):
    """SIGINT or SIGTERM arrived."""


def parse_arguments(argv):
    """The command line's options."""
    parser = argparse.ArgumentParser(prog="scripts/production", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("experiment", nargs="?", default=os.environ.get("DALLINGER_EXPERIMENT", ""),
                        help="a bundled demo's name, an installed experiment or a folder (default: $DALLINGER_EXPERIMENT)")  # fmt: skip
    parser.add_argument("--server", choices=SERVERS, default=os.environ.get("DALLINGER_WEB_SERVER", DEFAULT_SERVER),
                        help=f"the web server (default {DEFAULT_SERVER}, chosen by measurement)")  # fmt: skip
    parser.add_argument("--web-processes", type=int, default=int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2)),
                        help="web processes, K (default: $WEB_CONCURRENCY, else one per core)")  # fmt: skip
    parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "4")),
                        help="request threads per web process, with gthread or granian (default: $WEB_THREADS, else 4)")  # fmt: skip
    parser.add_argument("--websocket-processes", type=int,
                        default=int(os.environ.get("WEBSOCKET_PROCESSES", os.cpu_count() or 1)),
                        help="websocket processes behind nginx, with gthread or granian (default: $WEBSOCKET_PROCESSES, "
                             "else one per core)")  # fmt: skip
    parser.add_argument("--websocket-server", choices=WEBSOCKET_SERVERS, default=DEFAULT_WEBSOCKET_SERVER,
                        help=f"the websocket processes' server, with gthread or granian (default {DEFAULT_WEBSOCKET_SERVER}, "
                             "chosen by measurement)")  # fmt: skip
    parser.add_argument("--worker-concurrency", type=int, default=4, help="Celery worker threads (default 4)")
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")), help="default $PORT or 8000")
    parser.add_argument("--proxy", action=argparse.BooleanOptionalAction, default=None,
                        help="nginx in front (default: with gthread or granian, which need it to reach the websocket processes)")  # fmt: skip
    parser.add_argument("--no-beat", action="store_true", help="do not run celery beat")
    parser.add_argument("--no-launch", action="store_true", help="do not POST /launch once the server is up")
    parser.add_argument("--logs", type=Path, help="where the processes' logs go (default: a temporary folder)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--data", type=Path, metavar="DIR",
                       help=f"without DATABASE_URL/REDIS_URL: keep PostgreSQL's and Redis's data in DIR "
                            f"(default {DEFAULT_DATA.name}/ in the repository)")  # fmt: skip
    where.add_argument("--throwaway", action="store_true",
                       help="without DATABASE_URL/REDIS_URL: throwaway PostgreSQL and Redis, data removed at the end")  # fmt: skip
    return parser.parse_args(argv)


def environment(options) -> dict:
    """The environment every process of the layout gets."""
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "dallinger_project.settings")
    if options.experiment:
        path = Path(options.experiment)
        env["DALLINGER_EXPERIMENT"] = str(path.resolve()) if path.is_dir() else options.experiment
        if path.is_dir():
            env["DALLINGER_WORKDIR"] = str(path.resolve())  # the experiment's relative paths start there
    env.setdefault("DALLINGER_BASE_URL", f"http://{options.host}:{options.port}")
    return env


def launch(url: str, base_url: str = "") -> str:
    """POST /launch to the local server at `url`; the recruiter's message (RuntimeError when
    launching fails). When the public `base_url` is https, the request says so, as the TLS
    proxy in front would, so that it is not redirected to the public address."""
    headers = {"X-Forwarded-Proto": "https"} if base_url.startswith("https://") else {}
    request = urllib.request.Request(f"{url}/launch", method="POST", data=b"", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        answer = json.loads(error.read() or b"{}")
    if answer.get("status") != "success":
        raise RuntimeError(f"Launching failed: {answer.get('message', answer)}")
    return answer["recruitment_msg"]


def run_under_services(options, argv: list) -> None:
    """Replace this process with scripts/services.py running it again with PostgreSQL and Redis."""
    if options.throwaway:
        where, data = ["--throwaway"], "throwaway"
    else:
        folder = (options.data or DEFAULT_DATA).resolve()
        where, data = ["--data", str(folder)], str(folder)
    print(f"production: DATABASE_URL/REDIS_URL not set: starting PostgreSQL and Redis "
          f"({'throwaway data' if options.throwaway else f'data in {data}'})", file=sys.stderr, flush=True)  # fmt: skip
    command = [sys.executable, str(SERVICES), *where, "--", sys.executable, str(Path(__file__).resolve()), *argv]
    os.execve(sys.executable, command, {**os.environ, DATA_MARK: data})


def dashboard_login(env: dict) -> str:
    """Ensure the experiment's dashboard account (manage.py dashboard_account); its login line."""
    done = subprocess.run([sys.executable, str(REPO_ROOT / "manage.py"), "dashboard_account"], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True)  # fmt: skip
    if done.returncode:
        raise SystemExit(done.stderr.strip() or "manage.py dashboard_account failed.")
    return done.stdout.strip()


def report(line: str) -> None:
    """A line about a process stopping or starting again, for the operator."""
    print(f"[{time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)


def main(argv=None) -> int:
    """Run the layout until Ctrl-C, SIGTERM or giving up; the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    options = parse_arguments(argv)
    if not options.experiment:
        raise SystemExit("Name the experiment to run (or set DALLINGER_EXPERIMENT), e.g. scripts/production bartlett1932")
    try:  # before anything starts: a count below 1 is refused here
        layout_options = LayoutOptions(
            server=options.server, web_processes=options.web_processes, threads=options.threads,
            host=options.host, port=options.port, proxy=options.proxy, worker_concurrency=options.worker_concurrency,
            beat=not options.no_beat, websocket_processes=options.websocket_processes,
            websocket_server=options.websocket_server,
        )  # fmt: skip
    except ValueError as error:
        raise SystemExit(str(error)) from None
    given = [name for name in ("DATABASE_URL", "REDIS_URL") if os.environ.get(name)]
    data = os.environ.get(DATA_MARK)
    if not data:
        if len(given) == 1:
            raise SystemExit(f"Only {given[0]} is set: set both DATABASE_URL and REDIS_URL, or neither.")
        if not given:
            run_under_services(options, argv)
        if options.data or options.throwaway:
            raise SystemExit("--data and --throwaway apply only without DATABASE_URL and REDIS_URL.")
    env = environment(options)
    subprocess.run([sys.executable, str(REPO_ROOT / "manage.py"), "migrate", "--noinput"], cwd=REPO_ROOT, env=env,
                   check=True)  # fmt: skip
    login = dashboard_login(env)
    logs = options.logs or Path(tempfile.mkdtemp(prefix="dallinger-production-"))
    layout = Layout(layout_options, env, logs, restart=RESTARTS, report=report)

    def stop(signum, frame):
        raise Stop

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    status = 0
    try:
        layout.start()
        url = f"http://{options.host}:{options.port}"
        front = f"nginx on :{options.port} → " if layout_options.proxy else ""
        websockets = (f", websockets: {options.websocket_server} × {options.websocket_processes}"
                      if options.server in WSGI_SERVERS else "")  # fmt: skip
        print(f"Serving {env['DALLINGER_EXPERIMENT']} at {url}: {front}{options.server} × {options.web_processes}"
              f"{f' ({options.threads} threads each)' if options.server in WSGI_SERVERS else ''}{websockets}, "
              f"Celery worker ({options.worker_concurrency} threads){', beat' if not options.no_beat else ''}.")  # fmt: skip
        if options.server in WSGI_SERVERS and not layout_options.proxy:
            print(f"Websockets ({options.websocket_server}) on port {layout_options.websocket_port}: "
                  "route `Upgrade: websocket` there.")  # fmt: skip
        connections = layout_options.database_connections()
        if connections is not None:
            print(f"PostgreSQL connections held at most: {connections} (keep max_connections above it).")
        print(f"Logs: {logs}")
        if data == "throwaway":
            print("Data: throwaway PostgreSQL and Redis, removed when this stops.")
        elif data:
            print(f"Data: {data} (PostgreSQL and Redis; kept when this stops, used again on the next start).")
        if not options.no_launch:
            print(launch(url, env["DALLINGER_BASE_URL"]).splitlines()[-1] or "Launched.")
        print(f"Dashboard: {url}/dashboard/\n{login}")
        print(f"Participants start at {url}/ad?generate_tokens&recruiter=hotair (for the hotair recruiter). "
              "A process that stops is started again; Ctrl-C stops everything.", flush=True)  # fmt: skip
        while True:
            layout.check()
            time.sleep(0.5)
    except Stop:
        print("\nStopping.", flush=True)
    except RuntimeError as error:
        print(str(error), file=sys.stderr)
        status = 1
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        layout.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
