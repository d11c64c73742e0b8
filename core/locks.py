"""Short database locks for rows that several requests or workers compete for.

Row locks (`select_for_update`) serialise work on one existing row. For "at most one of
these may exist" checks on rows that do not exist yet (one working participant per
assignment, one participation per worker), a transaction-scoped PostgreSQL advisory lock
on the key does the same job. SQLite serialises every write transaction already
(transactions begin IMMEDIATE), so there these are no-ops. A periodic job that must not run
twice at once, and calls platforms as it goes, holds a connection-scoped one (`lock_held_try`).
"""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


def lock_keys(*keys: str) -> None:
    """Hold an advisory lock on each key until the current transaction ends (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return
    # Sorted, so two transactions locking the same keys cannot deadlock; taken in that order
    # by one statement (the function scan yields the array's elements in order), not one
    # round trip per key.
    ids = [_lock_id(key) for key in sorted(set(keys))]
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(key) FROM unnest(%s::bigint[]) AS key", [ids])


def _lock_id(key: str) -> int:
    """A signed 64-bit id for `key` (a rare collision only serialises two unrelated keys)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


@contextmanager
def lock_held_try(key: str) -> Iterator[bool]:
    """Hold the advisory lock on `key` for the block, if no other session holds it; yields
    whether it was taken (always True outside PostgreSQL).

    Held by the connection rather than a transaction, so the block needs none open: work that
    calls a platform between short transactions keeps out a second run without keeping the
    rows it changed locked until the whole run ends."""
    if connection.vendor != "postgresql":
        yield True
        return
    lock_id = _lock_id(key)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock_id])
        taken = bool(cursor.fetchone()[0])
    try:
        yield taken
    finally:
        if taken:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_id])
