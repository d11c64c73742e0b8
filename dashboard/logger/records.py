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
"""

import collections
import functools
import json
import threading

from django.conf import settings

#: The Redis list of records (newest first) and the counter of records ever kept.
RECORDS_KEY = "dashboard:log:records"
STAMP_KEY = "dashboard:log:stamp"
#: How many records are kept when DASHBOARD_LOG_RECORDS is not set.
DEFAULT_KEPT = 1000

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


def log_record_keep(entry: dict) -> None:
    """Keep one record (a dict of plain values) and move the stamp."""
    client = _client()
    if client is None:
        with _local_lock:
            _local_stamp[0] += 1
            if _local_records.maxlen != kept():
                _local_records.__init__(_local_records, maxlen=kept())
            _local_records.appendleft(entry)
        return
    # One MULTI/EXEC: the list and the stamp move together, in one round trip.
    pipeline = client.pipeline(transaction=True)
    pipeline.lpush(RECORDS_KEY, json.dumps(entry, default=str))
    pipeline.ltrim(RECORDS_KEY, 0, kept() - 1)
    pipeline.incr(STAMP_KEY)
    pipeline.execute()


def log_records_recent() -> list[dict]:
    """The kept records, newest first."""
    client = _client()
    if client is None:
        with _local_lock:
            return list(_local_records)
    return [json.loads(raw) for raw in client.lrange(RECORDS_KEY, 0, kept() - 1)]


def log_stamp():
    """A value that changes whenever a record is kept (None when it cannot be read)."""
    client = _client()
    if client is None:
        return _local_stamp[0]
    try:
        return int(client.get(STAMP_KEY) or 0)
    except Exception:  # Redis away for a moment: the socket asks again at its next tick
        return None


def log_records_clear() -> None:
    """Forget every kept record (tests; a fresh start)."""
    client = _client()
    if client is None:
        with _local_lock:
            _local_records.clear()
        return
    client.delete(RECORDS_KEY)
