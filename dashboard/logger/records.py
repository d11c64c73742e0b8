"""Where the platform's recent log records are kept, for every process to add to and the
Logger tab to read: a Redis list when REDIS_URL is set, else a list in this process.

Redis, not the database: a log record is written from inside whatever is logging, often in
the middle of a transaction. A row written on that connection would be rolled back with the
transaction it reports on (the errors most worth seeing), could not be written at all in a
transaction PostgreSQL has aborted, and on SQLite another connection would wait for the
logging request's own write lock. A Redis push is outside every transaction, and pushing,
trimming to the last `kept()` records and counting (the stamp the live socket watches) are
one round trip, atomic however many web, worker and bot processes log at once. Every
deployment with more than one process on Redis (Celery's broker) has it. Without Redis (the
embedded default), the records are those of the process serving the dashboard.

With Redis, a record is queued in its process and a writer thread pushes what queued in the
last `WRITE_EVERY` seconds in that one round trip: a worker logs about four records per
settled submission, and one round trip each cost it more than the rest of the logging. What
is still queued is written when the process exits normally, and before this process reads
the records or the stamp. At most `kept()` wait: while Redis is away the oldest are dropped.
"""

import atexit
import collections
import functools
import json
import os
import threading
import time

from django.conf import settings

#: The Redis list of records (newest first) and the counter of records ever kept.
RECORDS_KEY = "dashboard:log:records"
STAMP_KEY = "dashboard:log:stamp"
#: How many records are kept when DASHBOARD_LOG_RECORDS is not set.
DEFAULT_KEPT = 1000
#: How long the writer gathers records before one round trip writes them all (seconds).
WRITE_EVERY = 0.1
#: After a failed write (Redis away), the writer waits this long before trying again (seconds).
PAUSE_AFTER_FAILURE = 5.0

_local_lock = threading.Lock()
# Only without Redis: the embedded default's single serving process keeps its own.
_local_records: collections.deque = collections.deque(maxlen=DEFAULT_KEPT)
_local_stamp = [0]


def kept() -> int:
    """How many records are kept (the newest)."""
    return max(1, int(getattr(settings, "DASHBOARD_LOG_RECORDS", DEFAULT_KEPT)))


@functools.cache
def _redis(url: str):
    import redis

    # A short timeout: a Redis that does not answer must not hold up what is logging.
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


def _client():
    url = getattr(settings, "REDIS_URL", "")
    return _redis(url) if url else None


class _Queue:
    """This process's records waiting for the writer thread, and that thread."""

    def __init__(self):
        self.entries: collections.deque = collections.deque(maxlen=DEFAULT_KEPT)
        self.lock = threading.Lock()  # guards `entries` and starting the writer
        self.writing = threading.Lock()  # held from taking entries to having written them
        self.wakeup = threading.Event()
        self.writer: threading.Thread | None = None


_queue = _Queue()


def _queue_forget() -> None:
    # A forked child has copies of its parent's queued records (the parent writes them) and
    # no writer thread: it starts afresh.
    global _queue
    _queue = _Queue()


os.register_at_fork(after_in_child=_queue_forget)


def log_record_keep(entry: dict) -> None:
    """Keep one record (a dict of plain values) and move the stamp: with Redis, queued for the
    writer thread (see the module's docstring); without, at once."""
    client = _client()
    if client is None:
        with _local_lock:
            _local_stamp[0] += 1
            if _local_records.maxlen != kept():
                _local_records.__init__(_local_records, maxlen=kept())
            _local_records.appendleft(entry)
        return
    queue = _queue
    if threading.current_thread() is queue.writer:
        return  # logged by the Redis client while writing: not kept, or writing would never end
    with queue.lock:
        if queue.entries.maxlen != kept():
            queue.entries = collections.deque(queue.entries, maxlen=kept())
        queue.entries.append(entry)
        if queue.writer is None:
            queue.writer = threading.Thread(target=_write_continually, args=(queue,), name="log-records", daemon=True)
            queue.writer.start()
    if not queue.wakeup.is_set():
        queue.wakeup.set()


def log_records_write_queued() -> int:
    """Write this process's queued records now, in one round trip (at exit, before reading);
    how many. Raises if Redis cannot take them (they are then dropped)."""
    return _write(_queue)


def _write(queue: _Queue) -> int:
    client = _client()
    if client is None:
        return 0
    with queue.writing:
        with queue.lock:
            entries, queue.entries = list(queue.entries), collections.deque(maxlen=queue.entries.maxlen)
        if not entries:
            return 0
        # One MULTI/EXEC: the list and the stamp move together. LPUSH of several values puts
        # the last first, so the list stays newest first.
        pipeline = client.pipeline(transaction=True)
        pipeline.lpush(RECORDS_KEY, *(json.dumps(entry, default=str) for entry in entries))
        pipeline.ltrim(RECORDS_KEY, 0, kept() - 1)
        pipeline.incrby(STAMP_KEY, len(entries))
        pipeline.execute()
        return len(entries)


def _write_continually(queue: _Queue) -> None:
    while True:
        queue.wakeup.wait()
        time.sleep(WRITE_EVERY)  # gather what else is logged meanwhile: one round trip for all
        queue.wakeup.clear()
        try:
            _write(queue)
        except Exception:
            # The log must never break what logs: these records are lost, and later ones wait.
            time.sleep(PAUSE_AFTER_FAILURE)


@atexit.register
def _write_at_exit() -> None:
    # Registered after the logging module's own exit handler, so it runs before it.
    if _queue.writer is not None:
        try:
            log_records_write_queued()
        except Exception:
            pass  # Redis gone first: nothing left to tell


def log_records_recent() -> list[dict]:
    """The kept records, newest first (this process's queued ones written first)."""
    client = _client()
    if client is None:
        with _local_lock:
            return list(_local_records)
    log_records_write_queued()
    return [json.loads(raw) for raw in client.lrange(RECORDS_KEY, 0, kept() - 1)]


def log_stamp():
    """A value that changes whenever a record is kept (None when it cannot be read)."""
    client = _client()
    if client is None:
        return _local_stamp[0]
    try:
        log_records_write_queued()
        return int(client.get(STAMP_KEY) or 0)
    except Exception:  # Redis away for a moment: the socket asks again at its next tick
        return None


def log_records_clear() -> None:
    """Forget every kept record, this process's queued ones too (tests; a fresh start)."""
    client = _client()
    if client is None:
        with _local_lock:
            _local_records.clear()
        return
    with _queue.writing, _queue.lock:
        _queue.entries.clear()
    client.delete(RECORDS_KEY)
