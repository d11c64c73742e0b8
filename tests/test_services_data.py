"""scripts/services.py keeps PostgreSQL's and Redis's data in a folder across runs, or throws it away
only when asked to.

Each run is the real script starting real servers (a new cluster takes a few seconds).
"""

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[1]
SERVICES = PROJECT_DIR / "scripts" / "services.py"
TIMEOUT = 120

# Writes (or reads) one row in PostgreSQL and one key in Redis, through the URLs it was given.
PROBE = """
import os, socket, sys
from urllib.parse import urlsplit
import psycopg2
connection = psycopg2.connect(os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1))
connection.autocommit = True
cursor = connection.cursor()
cursor.execute("CREATE TABLE IF NOT EXISTS probe (value text)")
if sys.argv[1] == "write":
    cursor.execute("INSERT INTO probe VALUES ('kept row')")
cursor.execute("SELECT value FROM probe")
print("postgres:", [row[0] for row in cursor.fetchall()])
redis = urlsplit(os.environ["REDIS_URL"])
with socket.create_connection((redis.hostname, redis.port)) as sock:
    sock.sendall(b"SET probe kept-key\\r\\n" if sys.argv[1] == "write" else b"GET probe\\r\\n")
    print("redis:", sock.recv(100))
"""

pytestmark = pytest.mark.skipif(
    not shutil.which("redis-server") or not (shutil.which("initdb") or list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))),
    reason="needs PostgreSQL's and Redis's programs (scripts/test installs them)",
)


@pytest.fixture
def folder():
    """A fresh folder the postgres user can reach when the tests run as root (pytest's own
    temporary folders are private to their owner)."""
    path = Path(tempfile.mkdtemp(prefix="services-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def services(*arguments, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SERVICES), *arguments], capture_output=True, text=True,
                          timeout=TIMEOUT, env=env)  # fmt: skip


def probe(*options: str, action: str, env=None) -> subprocess.CompletedProcess:
    return services(*options, "--", sys.executable, "-c", PROBE, action, env=env)


def test_data_written_in_one_run_is_there_in_the_next(folder):
    data = folder / "data"

    # Given a first run that writes a row and a key
    first = probe("--data", str(data), action="write")
    assert first.returncode == 0, first.stderr
    assert "(new cluster)" in first.stderr
    assert f"their data stays in {data}" in first.stderr

    # When a second run starts on the same folder
    second = probe("--data", str(data), action="read")

    # Then it starts the same cluster again (no new one) and both the row and the key are there
    assert second.returncode == 0, second.stderr
    assert "(new cluster)" not in second.stderr
    assert f"data in {data / 'postgres'}" in second.stderr
    assert "postgres: ['kept row']" in second.stdout
    assert "redis: b'$8\\r\\nkept-key\\r\\n'" in second.stdout
    assert (data / "postgres" / "data" / "PG_VERSION").exists()


def test_throwaway_servers_leave_nothing_behind(folder):
    env = dict(os.environ, TMPDIR=str(folder))
    done = probe("--throwaway", action="write", env=env)
    assert done.returncode == 0, done.stderr
    assert "postgres: ['kept row']" in done.stdout
    assert "removed their data" in done.stderr
    assert list(folder.iterdir()) == []


def test_where_the_data_goes_must_be_chosen():
    done = services("--", "true")
    assert done.returncode == 2
    assert "one of the arguments --throwaway --data is required" in done.stderr


def test_a_data_folder_in_use_by_another_run_is_refused(folder):
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        done = services("--data", str(folder), "--", "true")
    assert done.returncode == 1
    assert f"{folder} is in use by another run" in done.stderr
    assert not (folder / "postgres").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="PostgreSQL runs as another user only when started as root")
def test_a_data_folder_the_postgres_user_cannot_reach_is_refused_clearly(folder):
    private = folder / "private"
    private.mkdir(mode=0o700)
    done = services("--data", str(private / "data"), "--", "true")
    assert done.returncode == 1
    assert "the postgres user cannot reach" in done.stderr
    assert "Traceback" not in done.stderr
