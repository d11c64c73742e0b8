"""The logging handler that keeps each process's log records for the Logger tab (settings.LOGGING)."""

import logging
import os
import socket
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

from dashboard.logger.records import log_record_keep

#: The longest message kept (a traceback is cut at its end).
MAX_MESSAGE = 8000

_busy = threading.local()


def process_name() -> str:
    """What names this process on the Logger tab: its program, host and pid (`celery@web-1:42`)."""
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    if program == "manage.py" and len(sys.argv) > 1:
        program = f"manage.py {sys.argv[1]}"
    return f"{program}@{socket.gethostname()}:{os.getpid()}"


def record_entry(record: logging.LogRecord, formatter: logging.Formatter) -> dict:
    """A log record as the Logger tab shows it: plain values only."""
    message = record.getMessage()
    if record.exc_info:
        message = f"{message}\n{formatter.formatException(record.exc_info)}"
    elif record.exc_text:
        message = f"{message}\n{record.exc_text}"
    return {
        "time": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds"),
        "level": record.levelname,
        "levelno": record.levelno,
        "logger": record.name,
        "message": message[:MAX_MESSAGE],
        "process": process_name(),
    }


class RecentRecords(logging.Handler):
    """Keeps each record it is given (dashboard/logger/records.py) for the Logger tab."""

    def emit(self, record: logging.LogRecord) -> None:
        # A record logged while one is being kept is not kept again.
        if getattr(_busy, "active", False):
            return
        _busy.active = True
        try:
            log_record_keep(record_entry(record, self.formatter or logging.Formatter()))
        except Exception:
            pass  # the log must never break what logs; the record still reaches the other handlers
        finally:
            _busy.active = False
