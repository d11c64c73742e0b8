"""The embedded default's SQLite backend: a private file, and write locks taken up front."""

import os
import sqlite3
import stat
import threading

import pytest
from django.db.utils import ConnectionHandler

#: A umask that lets everyone read new files, as most systems have.
PERMISSIVE_UMASK = 0o022


@pytest.fixture
def embedded(tmp_path, django_db_blocker):
    """Open connections of the embedded backend to a file in `tmp_path`: `embedded(**options)`."""
    wrappers = []

    def connect(**options):
        handler = ConnectionHandler(
            {
                "default": {
                    "ENGINE": "dallinger_project.sqlite",
                    "NAME": str(tmp_path / "db.sqlite3"),
                    "OPTIONS": options,
                }
            }
        )
        wrapper = handler["default"]
        wrappers.append(wrapper)
        wrapper.ensure_connection()
        return wrapper

    with django_db_blocker.unblock():
        yield connect
        for wrapper in wrappers:
            wrapper.close()


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def begin_transaction(wrapper) -> None:
    """Begin a transaction as `transaction.atomic` does."""
    wrapper.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def test_a_new_database_and_its_log_files_are_readable_by_their_owner_only(embedded, tmp_path):
    previous = os.umask(PERMISSIVE_UMASK)
    try:
        # When the first connection creates the database, and writes to it
        connection = embedded()
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE answer (text TEXT)")
            cursor.execute("INSERT INTO answer VALUES ('private')")
    finally:
        os.umask(previous)

    # Then the file and the write-ahead log's files (there while it is open) are private
    path = tmp_path / "db.sqlite3"
    for name in (path, f"{path}-wal", f"{path}-shm"):
        assert mode_of(name) == 0o600, name
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_an_existing_database_readable_by_others_is_made_private(embedded, tmp_path):
    path = tmp_path / "db.sqlite3"
    sqlite3.connect(path).close()
    os.chmod(path, 0o644)

    embedded()

    assert mode_of(path) == 0o600


def test_a_transaction_holds_the_write_lock_from_its_start(embedded, tmp_path):
    # Given a transaction begun as `atomic` begins it, before any statement
    connection = embedded(transaction_mode="DEFERRED")  # the backend's rule wins over settings
    begin_transaction(connection)
    try:
        # Then no other connection can write meanwhile: it already holds the write lock
        other = sqlite3.connect(tmp_path / "db.sqlite3", timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
    finally:
        connection.rollback()
        connection.set_autocommit(True)


def test_a_transaction_that_reads_then_writes_waits_for_another_writer_instead_of_failing(embedded, tmp_path):
    # Given a table, and another process's connection in the middle of a write
    connection = embedded()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE answer (text TEXT)")
    writer = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO answer VALUES ('first')")
    # It commits a moment later (after the transaction below has begun waiting, or not:
    # either way that transaction must wait for it, not fail)
    threading.Timer(0.5, writer.execute, ["COMMIT"]).start()

    # When a transaction reads, then writes (a deferred one would fail at once here)
    begin_transaction(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM answer")
        cursor.execute("INSERT INTO answer VALUES ('second')")
    connection.commit()
    connection.set_autocommit(True)
    writer.close()

    # Then both writes are there
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM answer ORDER BY rowid")
        assert cursor.fetchall() == [("first",), ("second",)]
