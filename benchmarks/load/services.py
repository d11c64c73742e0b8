"""What the load runner needs to know about PostgreSQL and Redis: their pids, counters, and pgbench."""

import glob
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2

STAT_COLUMNS = (
    "xact_commit", "xact_rollback", "tup_returned", "tup_fetched", "tup_inserted", "tup_updated",
    "tup_deleted", "sessions", "numbackends",
)  # fmt: skip


def _connect(database_url: str):
    connection = psycopg2.connect(database_url.replace("postgres://", "postgresql://", 1))
    connection.autocommit = True
    return connection


def postgres_pid(database_url: str) -> int:
    """The postmaster's pid (its process tree holds every backend)."""
    with _connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        data_directory = cursor.fetchone()[0]
    connection.close()
    return int(Path(data_directory, "postmaster.pid").read_text().split("\n", 1)[0])


def postgres_settings(database_url: str) -> dict:
    """The PostgreSQL settings that matter for reading the figures."""
    names = ("server_version", "max_connections", "fsync", "synchronous_commit", "shared_buffers")
    connection = _connect(database_url)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", [list(names)])
        settings = dict(cursor.fetchall())
    connection.close()
    return settings


def database_counters(database_url: str) -> dict:
    """pg_stat_database's counters for the application's database (sessions, transactions, rows)."""
    connection = _connect(database_url)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            f"SELECT {', '.join(STAT_COLUMNS)} FROM pg_stat_database WHERE datname = current_database()"
        )
        row = cursor.fetchone()
    connection.close()
    return dict(zip(STAT_COLUMNS, row))


def counter_deltas(before: dict, after: dict) -> dict:
    """after - before for every cumulative counter (numbackends is a level, kept as is)."""
    deltas = {key: after[key] - before[key] for key in STAT_COLUMNS if key != "numbackends"}
    deltas["numbackends_after"] = after["numbackends"]
    return deltas


def chain_lengths(database_url: str) -> dict:
    """How far the networks have grown: participants' nodes in all and in the longest network.

    Dallinger and this project keep nodes in the same `node` table (network_id, participant_id,
    failed), so the one query measures both."""
    connection = _connect(database_url)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), coalesce(max(size), 0) FROM (SELECT count(*) AS size FROM node"
            " WHERE participant_id IS NOT NULL AND NOT failed GROUP BY network_id) AS sizes"
        )
        networks, longest = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM node WHERE participant_id IS NOT NULL AND NOT failed")
        nodes = cursor.fetchone()[0]
    connection.close()
    return {"networks_with_participants": networks, "longest_chain": longest, "participant_nodes": nodes}


def redis_pid(redis_url: str) -> int:
    """The Redis server's pid (from INFO server)."""
    parts = urlsplit(redis_url)
    with socket.create_connection((parts.hostname, parts.port or 6379), timeout=5) as sock:
        sock.sendall(b"INFO server\r\n")
        data = b""
        while b"process_id:" not in data or not data.endswith(b"\r\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return int(re.search(rb"process_id:(\d+)", data).group(1))


def pgbench_binary() -> str:
    """Debian's pgbench (postgresql-contrib ships it with the server on Debian 12), newest version."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), key=lambda path: int(path.split("/")[4]))
    found = candidates[-1] if candidates else shutil.which("pgbench")
    if not found:
        raise FileNotFoundError("pgbench is not installed: apt-get install postgresql-contrib (or postgresql-client).")
    return found


def run_pgbench(database_url: str, *, clients: int = 8, threads: int = 2, seconds: int = 15, scale: int = 1) -> dict:
    """TPC-B-like pgbench against the same server, in a database of its own; its tps and latency."""
    parts = urlsplit(database_url)
    binary = pgbench_binary()
    connection = _connect(database_url)
    with connection.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS pgbench")
        cursor.execute("CREATE DATABASE pgbench")
    connection.close()
    env = dict(os.environ, PGHOST=parts.hostname, PGPORT=str(parts.port or 5432), PGUSER=parts.username or "postgres",
               PGDATABASE="pgbench")  # fmt: skip
    subprocess.run([binary, "-i", "-s", str(scale), "-q"], env=env, check=True, capture_output=True)
    run = subprocess.run(
        [binary, "-c", str(clients), "-j", str(threads), "-T", str(seconds)],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    output = run.stdout
    tps = float(re.search(r"tps = ([\d.]+)", output).group(1))
    latency = re.search(r"latency average = ([\d.]+) ms", output)
    return {
        "command": f"pgbench -i -s {scale}; pgbench -c {clients} -j {threads} -T {seconds}",
        "binary": binary,
        "scale": scale,
        "tps": round(tps, 1),
        "latency_avg_ms": float(latency.group(1)) if latency else None,
        "output": output.strip().splitlines()[-6:],
    }


def service_urls_or_rerun(script: Path, argv: list, mark: str) -> tuple[str, str] | int:
    """The `DATABASE_URL` and `REDIS_URL` to benchmark against; without them, the exit status of
    `script` run again under scripts/services.py (throwaway PostgreSQL and Redis), which marks
    the rerun with the environment variable `mark`."""
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if database_url and redis_url:
        return database_url, redis_url
    if os.environ.get(mark):
        raise SystemExit("scripts/services.py did not provide DATABASE_URL and REDIS_URL.")
    repo_root = Path(__file__).resolve().parents[2]
    command = [sys.executable, str(repo_root / "scripts" / "services.py"), "--throwaway", "--",
               sys.executable, str(Path(script).resolve()), *argv]  # fmt: skip
    return subprocess.run(command, env={**os.environ, mark: "1"}).returncode
