"""Run the load benchmark against Dallinger 12.4.0's Bartlett1932 demo, started as it runs on Heroku.

    .venv/bin/python benchmarks/dallinger/install.py      # once: Dallinger's own virtualenv and the demo
    .venv/bin/python benchmarks/dallinger/run.py --concurrency 50,50,50 --duration 30 --name dallinger-chain

Steps: start throwaway PostgreSQL and Redis (scripts/services.py, unless DATABASE_URL and
REDIS_URL are given), copy the demo from the cache into a temporary folder, prepare it with
Dallinger's own `setup_experiment` in `debug` mode (benchmarks/dallinger/prepare.py, run by
Dallinger's Python) with one unbounded chain (`num_participants`), create its tables, start the
two processes of its Procfile from the prepared folder (`dallinger_heroku_web`: gunicorn with
gevent workers; `dallinger_heroku_worker`: the RQ worker), POST /launch, then run the same
generator, levels and records as benchmarks/load/run.py, and write
benchmarks/results/load-<name>.json and load.md. Everything it started is stopped at the end.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.dallinger.install import VERSION, default_cache  # noqa: E402
from benchmarks.load import report, services  # noqa: E402
from benchmarks.load.run import RESULTS_DIR, free_port, post, run_levels  # noqa: E402

STARTED_MARK = "DALLINGER_COMPARISON_SERVICES"
PREPARE = Path(__file__).resolve().with_name("prepare.py")
#: The configuration every run gets: one chain that never fills, participants on this machine.
BASE_CONFIG = {"num_participants": "100000000", "host": "127.0.0.1"}
PACKAGES = ("dallinger", "gunicorn", "gevent", "greenlet", "Flask", "SQLAlchemy", "psycopg2", "rq", "redis")


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=default_cache(), help="where install.py put Dallinger")
    parser.add_argument("--concurrency", default="50,50,50",
                        help="comma-separated levels, one run each on the same chain (default 50,50,50)")  # fmt: skip
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per run (default 30)")
    parser.add_argument("--max-participants", type=int, default=100_000, help="participant cap per run")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of unrecorded load first (default 5)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a Dallinger configuration value, e.g. loglevel=1 (added to mode=debug, "
                             "num_participants=100000000, host=127.0.0.1)")  # fmt: skip
    parser.add_argument("--name", default="dallinger", help="the results' name: load-<name>.json")
    parser.add_argument("--port", type=int, help="the web port (default: a free one)")
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                        help="before each run, wait up to this long for the machine to be idle")  # fmt: skip
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="where results go")
    return parser.parse_args(argv)


class DallingerProcesses:
    """Dallinger's web and worker processes, each leading a process group of its own so that it stops whole."""

    def __init__(self, bin_dir: Path, folder: Path, env: dict, log_dir: Path):
        self.commands = {"web": bin_dir / "dallinger_heroku_web", "worker": bin_dir / "dallinger_heroku_worker"}
        self.folder, self.env, self.log_dir = folder, env, log_dir
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, url: str, timeout: float = 90.0) -> None:
        for name, command in self.commands.items():
            with open(self.log_dir / f"{name}.log", "wb") as log:
                self.processes[name] = subprocess.Popen(
                    [str(command)], cwd=self.folder, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check()
            try:
                with urllib.request.urlopen(f"{url}/robots.txt", timeout=5):
                    return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"Dallinger's web process did not answer within {timeout:.0f} s (logs in {self.log_dir})")

    def pids(self) -> dict[str, int]:
        return {name: process.pid for name, process in self.processes.items()}

    def check(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(
                    f"Dallinger's {name} process exited with {process.returncode} (logs in {self.log_dir})"
                )

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.processes.values():
            try:
                process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def dallinger_versions(python: Path) -> dict:
    """The versions of Dallinger and of what serves it, from its own virtualenv."""
    script = (
        "import json, sys\nfrom importlib.metadata import version\n"
        f"found = {{'python': sys.version.split()[0]}}\nfor name in {PACKAGES!r}:\n"
        "    try:\n        found[name] = version(name)\n    except Exception:\n        pass\nprint(json.dumps(found))"
    )
    return json.loads(subprocess.run([str(python), "-c", script], check=True, capture_output=True, text=True).stdout)


def prepare(python: Path, demo: Path, work_dir: Path, env: dict, settings: list[str]) -> dict:
    """A copy of the demo prepared by Dallinger's `setup_experiment`, with empty tables: its folder
    and the settings in effect."""
    source = work_dir / "bartlett1932"
    shutil.copytree(demo, source)
    items = [f"{key}={value}" for key, value in BASE_CONFIG.items()] + settings
    done = subprocess.run([str(python), str(PREPARE), str(source), *items], cwd=source, env=env,
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"preparing the experiment failed:\n{done.stderr[-3000:]}{done.stdout[-1000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    options = parse_arguments(argv)
    cache = options.cache.expanduser()
    bin_dir, demo = cache / "venv" / "bin", cache / "demo" / "bartlett1932"
    if not (bin_dir / "dallinger_heroku_web").exists() or not (demo / "experiment.py").exists():
        print(f"Dallinger {VERSION} is not installed in {cache}: run benchmarks/dallinger/install.py first.",
              file=sys.stderr)  # fmt: skip
        return 2
    for item in options.set:
        if "=" not in item:
            print(f"--set takes KEY=VALUE, not {item!r}", file=sys.stderr)
            return 2
    urls = services.service_urls_or_rerun(Path(__file__), argv, STARTED_MARK)
    if isinstance(urls, int):
        return urls
    database_url, redis_url = urls
    options.port = options.port or free_port()
    url = f"http://127.0.0.1:{options.port}"
    env = {
        **os.environ,
        # Dallinger reads these as configuration (the environment layer) and Heroku sets them.
        "DATABASE_URL": database_url.replace("postgres://", "postgresql://", 1),
        "REDIS_URL": redis_url,
        "PORT": str(options.port),
        "FLASK_SECRET_KEY": secrets.token_hex(16),  # as `dallinger debug` makes one per run
        "SKIP_DEPENDENCY_CHECK": "1",  # its venv is installed already: no requirements to compile
        "PYTHONUNBUFFERED": "1",
    }
    env.setdefault("HOME", str(Path.home()))
    # Our own settings must not leak into Dallinger's processes.
    for key in ("DJANGO_SETTINGS_MODULE", "DALLINGER_EXPERIMENT", "VIRTUAL_ENV", "PYTHONPATH"):
        env.pop(key, None)
    work_dir = Path(tempfile.mkdtemp(prefix="dallinger-bench-"))
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    levels, failure, processes, folder, dallinger_config = [], None, None, None, None
    try:
        prepared = prepare(bin_dir / "python", demo, work_dir, env, options.set)
        folder, dallinger_config = Path(prepared["folder"]), prepared["config"]
        print(f"prepared {folder}; starting Dallinger's web and worker processes on port {options.port}; "
              f"logs in {work_dir}", flush=True)  # fmt: skip
        processes = DallingerProcesses(bin_dir, folder, env, work_dir)
        processes.start(url)
        launched = post(f"{url}/launch")
        if launched.get("status") != "success":
            raise RuntimeError(f"launch failed: {launched}")
        levels = run_levels(options, processes, database_url, redis_url)
    except (RuntimeError, OSError, ValueError) as error:
        failure = str(error)
        print(f"failed: {failure}", file=sys.stderr)
    finally:
        if processes:
            processes.stop()
    if processes is None:  # the experiment could not be prepared: nothing ran, nothing to record
        shutil.rmtree(work_dir, ignore_errors=True)
        return 1
    web_workers = _web_workers(processes)
    result = {
        "name": options.name,
        "started": started,
        "server": "dallinger",
        "layout": {
            "web": "dallinger_heroku_web (gunicorn, gevent workers)",
            "web_processes": web_workers,
            "worker": "dallinger_heroku_worker (RQ, gevent)",
            "proxy": False,
        },  # fmt: skip
        "experiment": f"Dallinger {VERSION} bartlett1932 (demo from {_demo_source(cache)})",
        "settings": [f"{key}={value}" for key, value in {"mode": "debug", **BASE_CONFIG}.items()] + options.set,
        "dallinger_config": dallinger_config,
        "duration_s": options.duration,
        "machine": {"cpus": os.cpu_count(), "load_average_at_end": os.getloadavg()},
        "postgres": services.postgres_settings(database_url),
        "versions": dallinger_versions(bin_dir / "python"),
        "levels": levels,
        "pgbench": None,
        "failure": failure,
    }
    path = report.record_load_result(result, options.results, options.name)
    print(f"wrote {path} and {options.results / 'load.md'}", flush=True)
    if not failure:
        shutil.rmtree(work_dir, ignore_errors=True)  # after a failure the processes' logs are kept
        if folder:
            shutil.rmtree(Path(folder).parent, ignore_errors=True)
    return 1 if failure else 0


def _web_workers(processes) -> int | None:
    """How many gunicorn workers the web process ran (Dallinger's `threads = auto` decides)."""
    log = processes.log_dir / "web.log" if processes else None
    if not log or not log.exists():
        return None
    return log.read_text(errors="replace").count("Booting worker with pid") or None


def _demo_source(cache: Path) -> str:
    source = cache / "demo" / "SOURCE"
    return source.read_text().strip() if source.exists() else "unknown"


if __name__ == "__main__":
    sys.exit(main())
