"""Run the production layout on this machine until Ctrl-C (what `scripts/production` runs).

Needs DATABASE_URL and REDIS_URL (scripts/production starts throwaway PostgreSQL and Redis
through scripts/services.py when they are not given). Migrates, starts the web processes
(deploy/layout.py), a Celery worker and celery beat, launches the experiment, prints where
participants go, and waits; a process that dies stops the whole layout with its output shown.
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

from deploy.layout import DEFAULT_SERVER, SERVERS, Layout, LayoutOptions  # noqa: E402


class Stop(Exception):
    """SIGINT or SIGTERM arrived."""


def parse_arguments(argv):
    parser = argparse.ArgumentParser(prog="scripts/production", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("experiment", nargs="?", default=os.environ.get("DALLINGER_EXPERIMENT", ""),
                        help="a bundled demo's name, an installed experiment or a folder (default: $DALLINGER_EXPERIMENT)")  # fmt: skip
    parser.add_argument("--server", choices=SERVERS, default=os.environ.get("DALLINGER_WEB_SERVER", DEFAULT_SERVER),
                        help=f"the web server (default {DEFAULT_SERVER}, chosen by measurement)")  # fmt: skip
    parser.add_argument("--web-processes", type=int, default=int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2)),
                        help="web processes, K (default: $WEB_CONCURRENCY, else one per core)")  # fmt: skip
    parser.add_argument("--threads", type=int, default=int(os.environ.get("GUNICORN_THREADS", "4")),
                        help="request threads per gthread process (default 4)")  # fmt: skip
    parser.add_argument("--worker-concurrency", type=int, default=4, help="Celery worker threads (default 4)")
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")), help="default $PORT or 8000")
    parser.add_argument("--proxy", action=argparse.BooleanOptionalAction, default=None,
                        help="nginx in front (default: with gthread, which needs it to reach daphne's websockets)")  # fmt: skip
    parser.add_argument("--no-beat", action="store_true", help="do not run celery beat")
    parser.add_argument("--no-launch", action="store_true", help="do not POST /launch once the server is up")
    parser.add_argument("--logs", type=Path, help="where the processes' logs go (default: a temporary folder)")
    return parser.parse_args(argv)


def environment(options) -> dict:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "dallinger_project.settings")
    if options.experiment:
        path = Path(options.experiment)
        env["DALLINGER_EXPERIMENT"] = str(path.resolve()) if path.is_dir() else options.experiment
    env.setdefault("DALLINGER_BASE_URL", f"http://{options.host}:{options.port}")
    return env


def launch(url: str) -> str:
    request = urllib.request.Request(f"{url}/launch", method="POST", data=b"")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        answer = json.loads(error.read() or b"{}")
    if answer.get("status") != "success":
        raise RuntimeError(f"Launching failed: {answer.get('message', answer)}")
    return answer["recruitment_msg"]


def main(argv=None) -> int:
    options = parse_arguments(sys.argv[1:] if argv is None else argv)
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        raise SystemExit("DATABASE_URL and REDIS_URL must be set (scripts/production starts both when they are not).")
    if not options.experiment:
        raise SystemExit("Name the experiment to run (or set DALLINGER_EXPERIMENT), e.g. scripts/production bartlett1932")
    layout_options = LayoutOptions(
        server=options.server, web_processes=options.web_processes, threads=options.threads, host=options.host,
        port=options.port, proxy=options.proxy, worker_concurrency=options.worker_concurrency,
        beat=not options.no_beat,
    )  # fmt: skip
    env = environment(options)
    subprocess.run([sys.executable, str(REPO_ROOT / "manage.py"), "migrate", "--noinput"], cwd=REPO_ROOT, env=env,
                   check=True)  # fmt: skip
    logs = options.logs or Path(tempfile.mkdtemp(prefix="dallinger-production-"))
    layout = Layout(layout_options, env, logs)

    def stop(signum, frame):
        raise Stop

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    status = 0
    try:
        layout.start()
        url = f"http://{options.host}:{options.port}"
        front = f"nginx on :{options.port} → " if layout_options.proxy else ""
        print(f"Serving {env['DALLINGER_EXPERIMENT']} at {url}: {front}{options.server} × {options.web_processes}"
              f"{f' ({options.threads} threads each)' if options.server == 'gthread' else ''}, "
              f"Celery worker ({options.worker_concurrency} threads){', beat' if not options.no_beat else ''}.")  # fmt: skip
        if options.server == "gthread" and not layout_options.proxy:
            print(f"Websockets (daphne) on port {layout_options.websocket_port}: route `Upgrade: websocket` there.")
        connections = layout_options.database_connections()
        if connections is not None:
            print(f"PostgreSQL connections held at most: {connections} (keep max_connections above it).")
        print(f"Logs: {logs}")
        if not options.no_launch:
            print(launch(url).splitlines()[-1] or "Launched.")
        print(f"Participants start at {url}/ad?generate_tokens&recruiter=hotair (for the hotair recruiter). "
              "Ctrl-C stops everything.", flush=True)  # fmt: skip
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
