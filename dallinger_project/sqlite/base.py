"""Django's SQLite backend, set up for several processes writing one file at once.

The embedded default runs a web server and a task worker (each with several threads) on
one SQLite file. SQLite lets one connection write at a time; the others wait for the
write lock, up to the busy timeout. It does not wait in one case: a connection that is
already reading and then asks to write gets "database is locked" at once, because waiting
could deadlock with a writer that waits for it. So every transaction that may write must
ask for the write lock when it begins:

- `atomic` blocks begin with `BEGIN IMMEDIATE`, never a plain (deferred) `BEGIN`, whatever
  the settings say: a deferred transaction reads first and fails at its first write
  whenever another process is writing.
- Outside `atomic`, each statement is its own transaction (autocommit), and a writing
  statement asks for the write lock as it starts, so it waits like `BEGIN IMMEDIATE`.
  What could still turn it into an upgrade is a read statement left open on the same
  connection; every cursor in the project is closed as soon as it is read (`with`
  blocks), and Django's reads are fetched whole before the next statement runs.

The journal is a write-ahead log (readers never wait for writers), and the database file
(and its -wal and -shm companions, which SQLite creates with the file's mode) is readable
by its owner only: it holds participants' data.
"""

import os
import stat

from django.db.backends.sqlite3 import base

#: Seconds a connection waits for the write lock before "database is locked".
BUSY_TIMEOUT_SECONDS = 20
#: Only the owner may read or write the database file.
FILE_MODE = 0o600
#: The SQLite header's file-format bytes (offsets 18 and 19) are 2 in WAL mode.
WAL_HEADER = b"\x02\x02"


class DatabaseWrapper(base.DatabaseWrapper):
    """An SQLite connection whose transactions take the write lock up front, on a private file."""

    def get_connection_params(self):
        params = super().get_connection_params()
        # The one rule that prevents "database is locked" at once (see the module's docstring).
        self.transaction_mode = "IMMEDIATE"
        params.setdefault("timeout", BUSY_TIMEOUT_SECONDS)
        return params

    def get_new_connection(self, conn_params):
        path = _file_path(conn_params["database"])
        if path is not None:
            _create_private(path)
        connection = super().get_new_connection(conn_params)
        if path is not None and not _is_wal(path):
            # WAL mode is stored in the file, so it is set once, when the file is new (the
            # first connection, before any other can use it). Setting it on every
            # connection would open a read transaction at each connection's start.
            connection.execute("PRAGMA journal_mode=WAL").close()
        if path is not None:
            _make_private(path)
        # Safe with WAL (a crash loses at most the last commits, never the file) and it
        # spares an fsync per commit. A per-connection setting.
        connection.execute("PRAGMA synchronous=NORMAL").close()
        return connection


def _file_path(database) -> str | None:
    """The database's path, or None for an in-memory database or a `file:` URI."""
    database = os.fspath(database)
    if database == ":memory:" or database.startswith("file:"):
        return None
    return database


def _create_private(path: str) -> None:
    """Create the database file empty and private if it does not exist (SQLite would make it
    readable by everyone, as the umask allows)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        pass
    except OSError:
        pass  # a missing folder, say: SQLite's own error says it better


def _make_private(path: str) -> None:
    """Restrict the file and its companions to their owner (a file made before this rule)."""
    for name in (path, f"{path}-wal", f"{path}-shm"):
        try:
            if stat.S_IMODE(os.stat(name).st_mode) != FILE_MODE:
                os.chmod(name, FILE_MODE)
        except OSError:
            pass  # absent, or another user's file


def _is_wal(path: str) -> bool:
    """Whether the file's header says WAL mode (an empty, new file does not)."""
    try:
        with open(path, "rb") as database:
            database.seek(18)
            return database.read(2) == WAL_HEADER
    except OSError:
        return False
