#!/usr/bin/env python3
"""Benchmark: how long `manage.py runexperiment bartlett1932 --bots 20 --bot-type http` takes.

Runs the command --repeats times (default 3) per backend, interleaved: "embedded" (a fresh SQLite
file per run, folder task queue) and "postgres" (PostgreSQL + Redis: DATABASE_URL/REDIS_URL if
both are set, else each run re-executes this script under its own scripts/services.py). Each run
gets num_participants=20 and a free port on 127.0.0.1, and counts only if it exits 0 with 20
approved participants in the database. Measured: wall time (spawn to exit), the command's own
"Experiment complete in X s", the startup / bots / teardown phases (from when its output lines
arrive) and the CPU time of the command and its children (not PostgreSQL's or Redis's). Writes
benchmarks/results/runexperiment.{json,md} and prints the table. Standard library only; the
command runs with the project's .venv (scripts/bootstrap).
"""

import argparse
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
PYTHON = str(ROOT / ".venv/bin/python") if (ROOT / ".venv/bin/python").exists() else sys.executable
BOTS = 20
COMMAND = f"manage.py runexperiment bartlett1932 --bots {BOTS} --bot-type http"
LABELS = {"embedded": "SQLite + folder queue", "postgres": "PostgreSQL + Redis"}
SERVICES = "a fresh scripts/services.py per run (fsync=off, synchronous_commit=off, full_page_writes=off)"
# Run with the project's .venv after each run: participants by status, and versions.
QUERY = """
import json, os, sys, django; from django.db import connection; from django.db.models import Count
from core.models import Participant
s = {r['status']: r['n'] for r in Participant.objects.values('status').annotate(n=Count('id')).order_by()}
c = connection.cursor()
c.execute('SHOW server_version' if connection.vendor == 'postgresql' else 'SELECT sqlite_version()')
v = {'python': sys.version.split()[0], 'django': django.__version__, connection.vendor: c.fetchone()[0]}
if os.environ.get('REDIS_URL'):
    import redis; v['redis'] = redis.Redis.from_url(os.environ['REDIS_URL']).info()['redis_version']
print('BENCH ' + json.dumps({'statuses': s, 'versions': v}))
"""


def log(message):
    """Progress on stderr."""
    print(f"benchmark: {message}", file=sys.stderr, flush=True)


def free_port():
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(proc, grace=30):
    """SIGTERM (the command then stops its web server and worker), SIGKILL after `grace` s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def query_database(env):
    """Participants by status, and the software's versions, through the project's ORM."""
    try:
        out = subprocess.run([PYTHON, "manage.py", "shell", "-c", QUERY], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return {"statuses": {}, "error": "the query took over 120 s"}
    found = [json.loads(line[6:]) for line in out.stdout.splitlines() if line.startswith("BENCH ")]
    return found[0] if found else {"statuses": {}, "error": (out.stderr or out.stdout)[-2000:]}


def run_once(backend, env, timeout):
    """One run of the command: its times, exit status, participants and last lines of output."""
    port, lines, stamps = free_port(), [], {}
    cmd = [PYTHON, *COMMAND.split(), "--port", str(port), "--no-browser", "--timeout", str(timeout)]
    load = [float(Path("/proc/loadavg").read_text().split()[0])]
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True, errors="replace")

    def read():
        """Collect the output, noting when the launch and the completion lines arrive."""
        for line in proc.stdout:
            lines.append(line.rstrip())
            for key, prefix in (("launched", "Launched."), ("complete", "Experiment complete")):
                if line.startswith(prefix):
                    stamps.setdefault(key, time.monotonic() - start)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    timed_out = False
    try:
        proc.wait(timeout + 60)  # the command gives up by itself after `timeout`
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        stop(proc)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the command, its web server and worker
    cpu_s = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    load.append(float(Path("/proc/loadavg").read_text().split()[0]))
    reader.join(10)
    text = "\n".join(lines)
    reported = re.search(r"Experiment complete in ([\d.]+) s", text)
    where = re.search(r"^Database: (.*)$", text, re.M)
    db = query_database(env)
    expected = "PostgreSQL" if backend == "postgres" else "SQLite"
    ok = (proc.returncode == 0 and not timed_out and db["statuses"].get("approved", 0) == BOTS
          and bool(where) and where.group(1).startswith(expected))
    a, b = stamps.get("launched"), stamps.get("complete")
    phases = {"startup_s": round(a, 2), "bots_s": round(b - a, 2), "teardown_s": round(wall - b, 2)} if a and b else {}
    return {"ok": ok, "exit_status": proc.returncode, "timed_out": timed_out, "port": port,
            "wall_s": round(wall, 2), "reported_s": float(reported.group(1)) if reported else None,
            **phases, "cpu_s": round(cpu_s, 2), "participants": db["statuses"], "load_avg_1min_before_after": load,
            "backend_line": where.group(1) if where else None,
            "versions": db.get("versions", {}), **({"query_error": db["error"]} if "error" in db else {}),
            "output_tail": lines[-3:] if ok else lines[-12:]}


def run_local(backend, timeout):
    """One run in this process's environment ("embedded": without DATABASE_URL/REDIS_URL, new SQLite)."""
    env = dict(os.environ, num_participants=str(BOTS), PYTHONUNBUFFERED="1")
    if backend == "postgres":
        return run_once(backend, env, timeout)
    folder = tempfile.mkdtemp(prefix="bench-runexperiment-")
    env = {k: v for k, v in env.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    try:
        return run_once(backend, dict(env, DALLINGER_SQLITE_PATH=os.path.join(folder, "db.sqlite3")), timeout)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_postgres(timeout):
    """One PostgreSQL + Redis run: on DATABASE_URL/REDIS_URL if both are set, else by this script again
    under its own scripts/services.py (fresh servers, like the fresh SQLite file), result in a file."""
    if os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"):
        return run_local("postgres", timeout)
    with tempfile.TemporaryDirectory(prefix="bench-runexperiment-") as folder:
        out = Path(folder) / "postgres.json"
        proc = subprocess.Popen([sys.executable, str(ROOT / "scripts/services.py"), "--throwaway", "--",
                                 sys.executable, os.path.abspath(__file__), "--child-out", str(out),
                                 "--timeout", str(timeout)],
                                cwd=ROOT)
        try:
            proc.wait(timeout + 300)
        except subprocess.TimeoutExpired:
            log("scripts/services.py took too long; stopping it")
        finally:
            stop(proc, grace=120)
        return json.loads(out.read_text()) if out.exists() else {
            "ok": False, "error": f"scripts/services.py exited {proc.returncode} without a result"}


def git(*args):
    """The output of a git command in the checkout."""
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.rstrip()


def machine():
    """CPU model and count, memory, OS and the git state (versions come from QUERY)."""
    cpuinfo, meminfo = Path("/proc/cpuinfo").read_text(), Path("/proc/meminfo").read_text()
    models = re.findall(r"^model name\s*:\s*(.*)$", cpuinfo, re.M)
    return {"cpu_model": models[0] if models else platform.processor(),
            "cpu_count": len(re.findall(r"^processor\s*:", cpuinfo, re.M)),
            "memory_gib": round(int(re.search(r"MemTotal:\s*(\d+)", meminfo).group(1)) / 2**20, 1),
            "os": platform.platform(), "git_commit": git("rev-parse", "HEAD"),
            "git_uncommitted": [ln for ln in git("status", "--porcelain").splitlines() if "benchmarks/" not in ln],
            "git_diff_head_sha256": hashlib.sha256(git("diff", "HEAD").encode()).hexdigest()}


def summarise(runs):
    """Median/min/max wall time, median reported time and phases, over the successful runs."""
    good = [r for r in runs if r["ok"]]

    def median(key):
        """The median of `key` over the successful runs that have it."""
        values = [r[key] for r in good if r.get(key) is not None]
        return round(statistics.median(values), 2) if values else None

    summary = {"runs": len(runs), "ok": len(good)}
    if good:
        summary.update(wall_median_s=median("wall_s"), wall_min_s=min(r["wall_s"] for r in good),
                       wall_max_s=max(r["wall_s"] for r in good), reported_median_s=median("reported_s"),
                       participants_per_s=round(BOTS / median("wall_s"), 2), startup_median_s=median("startup_s"),
                       bots_median_s=median("bots_s"), teardown_median_s=median("teardown_s"),
                       cpu_median_s=median("cpu_s"))
    return summary


def markdown(data):
    """The results as a short Markdown document."""
    m, v = data["machine"], data["versions"]
    names = {"python": "Python", "django": "Django", "sqlite": "SQLite", "postgresql": "PostgreSQL", "redis": "Redis"}
    out = [f"# `{COMMAND}`", "", " · ".join([data["date"], f"{m['cpu_model']} × {m['cpu_count']}",
           f"{m['memory_gib']} GiB"] + [f"{name} {v[key]}" for key, name in names.items() if key in v]
           + [f"commit {m['git_commit'][:10]}" + (" + uncommitted changes" if m["git_uncommitted"] else "")]), "",
           "| backend | runs ok | median wall (s) | min (s) | max (s) | median reported (s) | participants/s |",
           "|---|---|---|---|---|---|---|"]
    loads = [x for runs in data["runs"].values() for r in runs for x in r.get("load_avg_1min_before_after", [])]
    keys = ("wall_median_s", "wall_min_s", "wall_max_s", "reported_median_s", "participants_per_s")
    for backend, s in data["summary"].items():
        out.append(f"| {LABELS[backend]} | {s['ok']}/{s['runs']} | "
                   + " | ".join(str(s.get(k, "–")) for k in keys) + " |")
    out += ["", "participants/s = 20 / median wall time. Medians of the phases, startup (to launch) / bots / "
            "teardown (after completion), and of the CPU time of the command, its web server and worker, in s: "
            + "; ".join(f"{LABELS[b]} {s.get('startup_median_s', '–')} / {s.get('bots_median_s', '–')} / "
                        f"{s.get('teardown_median_s', '–')}, CPU {s.get('cpu_median_s', '–')}"
                        for b, s in data["summary"].items()) + ".", "",
            f"1-min load average around the runs: {min(loads, default='–')}–{max(loads, default='–')} "
            f"on {m['cpu_count']} CPUs.", "",
            "Rerun: `scripts/bootstrap && .venv/bin/python benchmarks/runexperiment/run.py`"]
    return "\n".join(out) + "\n"


def main():
    """Parse the options, run the backends, write and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per backend (default 3)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds one run may take (default 300)")
    parser.add_argument("--backends", default="embedded,postgres", help="comma-separated: embedded,postgres")
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds through run_once's clean-up
    if args.child_out:
        Path(args.child_out).write_text(json.dumps(run_local("postgres", args.timeout)))
        return 0
    backends = [b for b in args.backends.split(",") if b]
    if not backends or not set(backends) <= set(LABELS):
        parser.error(f"--backends takes {','.join(LABELS)}")
    given = bool(os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"))
    source = "DATABASE_URL and REDIS_URL from the environment" if given else SERVICES
    if "postgres" in backends:
        log(f"PostgreSQL + Redis: {source}")
    data = {"command": COMMAND, "date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "repeats": args.repeats,
            "timeout_s": args.timeout, "postgres_source": source, "machine": machine(), "versions": {},
            "runs": {b: [] for b in backends}}
    for i in range(1, args.repeats + 1):  # interleaved, so that a busy spell hits both backends
        for backend in backends:
            run = run_postgres(args.timeout) if backend == "postgres" else run_local(backend, args.timeout)
            data["runs"][backend].append(run)
            data["versions"].update(run.get("versions", {}))
            log(f"{LABELS[backend]}, run {i}/{args.repeats}: {'ok' if run['ok'] else 'FAILED'}, wall "
                f"{run.get('wall_s')} s, reported {run.get('reported_s')} s, participants {run.get('participants')}")
    data["summary"] = {backend: summarise(runs) for backend, runs in data["runs"].items()}
    if git("rev-parse", "HEAD") != data["machine"]["git_commit"]:
        data["machine"]["git_commit_changed_during_run_to"] = git("rev-parse", "HEAD")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "runexperiment.json").write_text(json.dumps(data, indent=2) + "\n")
    (RESULTS / "runexperiment.md").write_text(markdown(data))
    print(markdown(data))
    return 0 if all(s["ok"] == s["runs"] == args.repeats for s in data["summary"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
