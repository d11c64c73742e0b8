#!/usr/bin/env python3
"""Run a command against private PostgreSQL and Redis servers: throwaway ones, or ones whose
data is kept in a folder.

Usage:
    python scripts/services.py --throwaway -- <command> [args...]
    python scripts/services.py --data DIR -- <command> [args...]

Starts a private PostgreSQL cluster and a Redis server, each on a free port on
127.0.0.1, then runs the command with these variables added to its environment:

    DATABASE_URL=postgres://dallinger@127.0.0.1:<pgport>/dallinger
    REDIS_URL=redis://127.0.0.1:<redisport>/0

--throwaway: the data lives in fresh temporary directories and is removed
afterwards; PostgreSQL runs without fsync (fast, for tests and benchmarks).
--data DIR: the data lives in DIR (DIR/postgres, DIR/redis) and stays there.
The cluster is created on the first run and started again on later ones, with
PostgreSQL's default durability; Redis writes an append-only file. One run at a
time may use DIR.

The role ``dallinger`` is a superuser (so pytest-django can create
``test_dallinger``) and loopback connections use trust auth (no password).
Afterwards both servers are stopped, also on errors, SIGINT and SIGTERM. The
exit status is the command's.

Standard library only. Uses Debian's PostgreSQL binaries and redis-server;
when running as root, missing ones are installed with apt-get and PostgreSQL
runs as the ``postgres`` system user (it refuses to run as root).
"""
import argparse
import fcntl
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

DB_NAME = "dallinger"
DB_USER = "dallinger"
IS_ROOT = os.geteuid() == 0


def log(message):
    """Print a short status message to stderr."""
    print(f"services: {message}", file=sys.stderr, flush=True)


def fail(message, status=1):
    """Report an error and exit with the given status."""
    log(message)
    raise SystemExit(status)


def pg_bindir():
    """Return the directory holding initdb/pg_ctl (highest Debian version, else PATH)."""
    def version(path):
        name = os.path.basename(os.path.dirname(path))
        return [int(p) for p in name.split(".") if p.isdigit()]

    dirs = [d for d in glob.glob("/usr/lib/postgresql/*/bin")
            if os.path.exists(os.path.join(d, "initdb"))
            and os.path.exists(os.path.join(d, "pg_ctl"))]
    if dirs:
        return max(dirs, key=version)
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb and shutil.which("pg_ctl") else None


def ensure_software():
    """Install missing PostgreSQL/Redis with apt-get when root, else exit 2."""
    missing = []
    if pg_bindir() is None:
        missing.append(("initdb/pg_ctl", "postgresql"))
    if shutil.which("redis-server") is None:
        missing.append(("redis-server", "redis-server"))
    if not missing:
        return
    if not IS_ROOT:
        tool, pkg = missing[0]
        fail(f"{tool} is not installed: install Debian's '{pkg}' package "
             f"(apt-get install {pkg})", status=2)
    packages = [pkg for _, pkg in missing]
    log(f"installing {' '.join(packages)} with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]):
        if subprocess.run(cmd, env=env, stdout=sys.stderr).returncode != 0:
            fail(f"'{' '.join(cmd)}' failed")
    if pg_bindir() is None or shutil.which("redis-server") is None:
        fail("installation did not provide initdb/pg_ctl and redis-server")


def free_port():
    """Return a TCP port on 127.0.0.1 that is currently free."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log_tail(path, lines=15):
    """Return the last lines of a log file ('' if unreadable)."""
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


class Postgres:
    """A private PostgreSQL cluster: throwaway (`data_dir` None) or kept in `data_dir`/postgres."""

    def __init__(self, data_dir=None):
        self.bindir = pg_bindir()
        self.port = free_port()
        # The sockets (and a throwaway cluster) go in a fresh temporary directory: a
        # socket's path must stay short, whatever DIR is.
        self.tmp = tempfile.mkdtemp(prefix="services-pg-")
        self.persistent = data_dir is not None
        self.home = os.path.join(data_dir, "postgres") if self.persistent else self.tmp
        self.data = os.path.join(self.home, "data")
        self.logfile = os.path.join(self.home, "postgres.log")

    def run(self, tool, *args, capture=False):
        """Run a PostgreSQL tool (as the postgres user when root); return its status (and
        its output when `capture`)."""
        cmd = [os.path.join(self.bindir, tool), *args]
        if IS_ROOT:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        # New session: a terminal Ctrl-C must not reach the server directly.
        done = subprocess.run(cmd, cwd=self.tmp, stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                              text=True, start_new_session=True)
        return (done.returncode, done.stdout) if capture else done.returncode

    def prepare_folders(self):
        """Make the folders, owned by the postgres user when root (PostgreSQL refuses to run as root)."""
        if self.persistent:
            os.makedirs(self.home, mode=0o700, exist_ok=True)
        if not IS_ROOT:
            return
        try:
            for folder in {self.tmp, self.home}:
                shutil.chown(folder, user="postgres", group="postgres")
        except LookupError:
            fail("no 'postgres' system user: install Debian's 'postgresql' package")
        if subprocess.run(["runuser", "-u", "postgres", "--", "test", "-w", self.home]).returncode:
            fail(f"the postgres user cannot reach {self.home}: every folder above it "
                 "must be searchable by others (chmod o+x)")

    def start(self):
        """Create the cluster unless it exists, start it, and create the database unless it exists."""
        self.prepare_folders()
        fresh = not os.path.exists(os.path.join(self.data, "PG_VERSION"))
        if fresh:
            self.create()
        # Per-run settings on the command line: the port is a new free one every run.
        options = f"-p {self.port} -k {self.tmp}"
        if self.run("pg_ctl", "start", "-D", self.data, "-l", self.logfile, "-o", options,
                    "-w", "-t", "60", "-s"):
            fail("PostgreSQL did not start within 60s; log tail:\n"
                 + log_tail(self.logfile))
        if not self.database_exists() and self.run(
                "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", DB_USER, DB_NAME):
            fail("createdb failed")
        version = os.path.basename(os.path.dirname(self.bindir))
        where = f"data in {self.home}" if self.persistent else "throwaway data"
        log(f"PostgreSQL {version} on 127.0.0.1:{self.port}, {where}"
            + (" (new cluster)" if self.persistent and fresh else ""))

    def create(self):
        """initdb, with settings for tests (no fsync) or for keeping data (the defaults)."""
        if self.run("initdb", "-D", self.data, "-A", "trust", "-U", DB_USER, "-E", "UTF8",
                    "--locale=C", *([] if self.persistent else ["--no-sync"])):
            fail("initdb failed")
        settings = {"max_connections": "300", "listen_addresses": "'127.0.0.1'"}
        if not self.persistent:
            settings.update({"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"})
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write("\n# scripts/services.py\n")
            conf.writelines(f"{k} = {v}\n" for k, v in settings.items())

    def database_exists(self):
        """Whether the application's database exists in the running cluster."""
        status, output = self.run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", DB_USER, "-d", "postgres", "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'", capture=True)
        return status == 0 and output.strip() == "1"

    def url(self):
        """Return the DATABASE_URL for this cluster."""
        return f"postgres://{DB_USER}@127.0.0.1:{self.port}/{DB_NAME}"

    def stop(self):
        """Stop the cluster (fast, then immediate); delete its files if it is a throwaway one."""
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            for mode in ("fast", "immediate"):
                if self.run("pg_ctl", "stop", "-D", self.data, "-m", mode,
                            "-w", "-t", "30", "-s") == 0:
                    break
            else:
                log("could not stop PostgreSQL")
        shutil.rmtree(self.tmp, ignore_errors=True)


class Redis:
    """A private redis-server: throwaway (`data_dir` None) or with an append-only file in `data_dir`/redis."""

    def __init__(self, data_dir=None):
        self.port = free_port()
        self.persistent = data_dir is not None
        if self.persistent:
            self.tmp = os.path.join(data_dir, "redis")
            os.makedirs(self.tmp, mode=0o700, exist_ok=True)
        else:
            self.tmp = tempfile.mkdtemp(prefix="services-redis-")
        self.logfile = os.path.join(self.tmp, "redis.log")
        self.proc = None

    def start(self, timeout=20):
        """Start redis-server and wait until it answers PING."""
        if self.persistent:
            # Every write goes to the append-only file (flushed each second) and snapshots
            # are taken too; a restarted server reads them back.
            persistence = ["--appendonly", "yes", "--appendfsync", "everysec"]
        else:
            persistence = ["--save", "", "--appendonly", "no"]
        with open(self.logfile, "a" if self.persistent else "w") as out:
            self.proc = subprocess.Popen(
                [shutil.which("redis-server"), "--port", str(self.port),
                 "--bind", "127.0.0.1", "--dir", self.tmp, *persistence, "--daemonize", "no"],
                cwd=self.tmp, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                fail("redis-server exited; log tail:\n" + log_tail(self.logfile))
            if self.ping():
                where = f"data in {self.tmp}" if self.persistent else "throwaway data"
                log(f"Redis on 127.0.0.1:{self.port}, {where}")
                return
            time.sleep(0.1)
        fail(f"Redis did not answer PING within {timeout}s")

    def ping(self):
        """Return True if the server answers PING with PONG."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def url(self):
        """Return the REDIS_URL for this server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self):
        """Terminate the server (it writes its data out first) and delete a throwaway one's directory."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30 if self.persistent else 10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.persistent:
            shutil.rmtree(self.tmp, ignore_errors=True)


def terminal_foreground():
    """True if we run in the terminal's foreground group (Ctrl-C hits the child too)."""
    try:
        with open("/dev/tty") as tty:
            return os.tcgetpgrp(tty.fileno()) == os.getpgrp()
    except OSError:
        return False


def parse_arguments(argv):
    """(options, command): the options before `--`, the command after it."""
    parser = argparse.ArgumentParser(
        prog="scripts/services.py", usage="%(prog)s (--throwaway | --data DIR) -- command [args...]",
        description="Run a command against private PostgreSQL and Redis servers.")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--throwaway", action="store_true",
                       help="data in temporary directories, removed afterwards")
    where.add_argument("--data", metavar="DIR",
                       help="keep the data in DIR (created on first use, reused afterwards)")
    if "--" not in argv:
        parser.error("give the command after --")
    split = argv.index("--")
    options, command = parser.parse_args(argv[:split]), argv[split + 1:]
    if not command:
        parser.error("give the command after --")
    return options, command


def lock_data_folder(folder):
    """Hold an exclusive lock on `folder` for as long as this process lives: two runs must not
    start servers on the same data."""
    os.makedirs(folder, exist_ok=True)
    handle = open(os.path.join(folder, ".lock"), "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fail(f"{folder} is in use by another run (stop it first)")
    return handle


def main(argv):
    """Start the servers, run the command, clean up; return its exit code."""
    options, command = parse_arguments(argv)
    data_dir = os.path.abspath(options.data) if options.data else None
    child = None
    pending = []  # signals received before the command started

    def on_signal(signum, frame):
        """Forward the signal to the command; during startup, note it."""
        if child is None:
            pending.append(signum)
        elif child.poll() is None and not (signum == signal.SIGINT
                                           and terminal_foreground()):
            child.send_signal(signum)

    def check_pending():
        """Abort startup (between steps) if a signal arrived."""
        if pending:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    servers = []
    lock = lock_data_folder(data_dir) if data_dir else None
    try:
        ensure_software()
        for cls in (Postgres, Redis):
            check_pending()
            servers.append(cls(data_dir))
            servers[-1].start()
        check_pending()
        env = dict(os.environ, DATABASE_URL=servers[0].url(),
                   REDIS_URL=servers[1].url())
        try:
            child = subprocess.Popen(command, env=env)
        except OSError as exc:
            log(f"cannot run {command[0]}: {exc.strerror}")
            return 127
        for signum in pending:  # arrived while the command was starting
            child.send_signal(signum)
        code = child.wait()
        return 128 - code if code < 0 else code
    except KeyboardInterrupt:
        log("interrupted during startup")
        return 128 + (pending[0] if pending else signal.SIGINT)
    finally:
        # Ignore further signals so a second Ctrl-C cannot abort cleanup.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if child is not None and child.poll() is None:
            child.wait()
        for server in reversed(servers):
            server.stop()
        if servers and data_dir:
            log(f"stopped PostgreSQL and Redis; their data stays in {data_dir}")
        elif servers:
            log("stopped PostgreSQL and Redis, removed their data")
        if lock is not None:
            lock.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
