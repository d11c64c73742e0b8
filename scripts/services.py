#!/usr/bin/env python3
"""Run a command against throwaway PostgreSQL and Redis servers.

Usage:
    python scripts/services.py -- <command> [args...]

Starts a private PostgreSQL cluster and a Redis server, each on a free port
on 127.0.0.1 with its data in a fresh temporary directory, then runs the
command with these variables added to its environment:

    DATABASE_URL=postgres://dallinger@127.0.0.1:<pgport>/dallinger
    REDIS_URL=redis://127.0.0.1:<redisport>/0

The role ``dallinger`` is a superuser (so pytest-django can create
``test_dallinger``) and loopback connections use trust auth (no password).
Afterwards both servers are stopped and their data removed, also on errors,
SIGINT and SIGTERM. The exit status is the command's.

Standard library only. Uses Debian's PostgreSQL binaries and redis-server;
when running as root, missing ones are installed with apt-get and PostgreSQL
runs as the ``postgres`` system user (it refuses to run as root).
"""
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
    """A throwaway PostgreSQL cluster in a temporary directory."""

    def __init__(self):
        self.bindir = pg_bindir()
        self.port = free_port()
        self.tmp = tempfile.mkdtemp(prefix="services-pg-")
        self.data = os.path.join(self.tmp, "data")
        self.logfile = os.path.join(self.tmp, "postgres.log")

    def run(self, tool, *args):
        """Run a PostgreSQL tool (as the postgres user when root); return its status."""
        cmd = [os.path.join(self.bindir, tool), *args]
        if IS_ROOT:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        # New session: a terminal Ctrl-C must not reach the server directly.
        return subprocess.run(cmd, cwd=self.tmp, stdout=subprocess.DEVNULL,
                              start_new_session=True).returncode

    def start(self):
        """Create the cluster, start it and create the database."""
        if IS_ROOT:  # PostgreSQL refuses to run as root
            try:
                shutil.chown(self.tmp, user="postgres", group="postgres")
            except LookupError:
                fail("no 'postgres' system user: install Debian's 'postgresql' package")
        if self.run("initdb", "-D", self.data, "-A", "trust", "-U", DB_USER,
                    "-E", "UTF8", "--locale=C", "--no-sync"):
            fail("initdb failed")
        settings = {"fsync": "off", "synchronous_commit": "off",
                    "full_page_writes": "off", "max_connections": "300",
                    "listen_addresses": "'127.0.0.1'", "port": str(self.port),
                    "unix_socket_directories": f"'{self.tmp}'"}
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write("\n# throwaway test settings (scripts/services.py)\n")
            conf.writelines(f"{k} = {v}\n" for k, v in settings.items())
        if self.run("pg_ctl", "start", "-D", self.data, "-l", self.logfile,
                    "-w", "-t", "60", "-s"):
            fail("PostgreSQL did not start within 60s; log tail:\n"
                 + log_tail(self.logfile))
        if self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port),
                    "-U", DB_USER, DB_NAME):
            fail("createdb failed")
        log(f"PostgreSQL {os.path.basename(os.path.dirname(self.bindir))} "
            f"on 127.0.0.1:{self.port}")

    def url(self):
        """Return the DATABASE_URL for this cluster."""
        return f"postgres://{DB_USER}@127.0.0.1:{self.port}/{DB_NAME}"

    def stop(self):
        """Stop the cluster (fast, then immediate) and delete its files."""
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            for mode in ("fast", "immediate"):
                if self.run("pg_ctl", "stop", "-D", self.data, "-m", mode,
                            "-w", "-t", "30", "-s") == 0:
                    break
            else:
                log("could not stop PostgreSQL")
        shutil.rmtree(self.tmp, ignore_errors=True)


class Redis:
    """A throwaway redis-server subprocess with a temporary directory."""

    def __init__(self):
        self.port = free_port()
        self.tmp = tempfile.mkdtemp(prefix="services-redis-")
        self.logfile = os.path.join(self.tmp, "redis.log")
        self.proc = None

    def start(self, timeout=20):
        """Start redis-server and wait until it answers PING."""
        with open(self.logfile, "w") as out:
            self.proc = subprocess.Popen(
                [shutil.which("redis-server"), "--port", str(self.port),
                 "--bind", "127.0.0.1", "--dir", self.tmp, "--save", "",
                 "--appendonly", "no", "--daemonize", "no"],
                cwd=self.tmp, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                fail("redis-server exited; log tail:\n" + log_tail(self.logfile))
            if self.ping():
                log(f"Redis on 127.0.0.1:{self.port}")
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
        """Terminate the server and delete its directory."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def terminal_foreground():
    """True if we run in the terminal's foreground group (Ctrl-C hits the child too)."""
    try:
        with open("/dev/tty") as tty:
            return os.tcgetpgrp(tty.fileno()) == os.getpgrp()
    except OSError:
        return False


def main(argv):
    """Start the servers, run the command, clean up; return its exit code."""
    if len(argv) < 2 or argv[0] != "--":
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
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
    try:
        ensure_software()
        for cls in (Postgres, Redis):
            check_pending()
            servers.append(cls())
            servers[-1].start()
        check_pending()
        env = dict(os.environ, DATABASE_URL=servers[0].url(),
                   REDIS_URL=servers[1].url())
        try:
            child = subprocess.Popen(argv[1:], env=env)
        except OSError as exc:
            log(f"cannot run {argv[1]}: {exc.strerror}")
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
        if servers:
            log("stopped PostgreSQL and Redis, removed their data")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
