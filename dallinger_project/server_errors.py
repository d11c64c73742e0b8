"""One line in the log for every answer with a 5xx status, naming the request and its cause.

The traceback of a server error is logged where it is caught (the API's exception handler,
Django's request handling), among everything else the server logs. This adds a line a
person can read at a glance, and a program can find ("server error on POST /node/3:
OperationalError: database is locked"): `runexperiment` follows the web server's log for
these lines, prints them as they come and keeps the log of a run that had any.
"""

import logging
from contextvars import ContextVar

from asgiref.sync import iscoroutinefunction
from django.utils.decorators import sync_and_async_middleware

logger = logging.getLogger(__name__)

#: How each line starts: `runexperiment` looks for it.
MARKER = "server error on "

# The exceptions logged while the current request is answered (None outside a request).
# A context variable reaches the threads that run the view, and each request has its own.
_logged_exceptions: ContextVar[list | None] = ContextVar("logged_exceptions", default=None)


class LoggedExceptions(logging.Handler):
    """Remembers the exceptions logged during a request, so its 5xx line can name the cause.

    Installed on the root logger at level ERROR (settings.LOGGING); it writes nothing.
    """

    def emit(self, record: logging.LogRecord) -> None:
        exceptions = _logged_exceptions.get()
        if exceptions is not None and record.exc_info and record.exc_info[1] is not None:
            exceptions.append(record.exc_info[1])


@sync_and_async_middleware
def server_error_log(get_response):
    """Log `MARKER` + "<method> <path>: <cause>" for each answer with a 5xx status."""
    if iscoroutinefunction(get_response):

        async def middleware(request):
            token = _logged_exceptions.set([])
            try:
                response = await get_response(request)
                _log_if_server_error(request, response)
            finally:
                _logged_exceptions.reset(token)
            return response

    else:

        def middleware(request):
            token = _logged_exceptions.set([])
            try:
                response = get_response(request)
                _log_if_server_error(request, response)
            finally:
                _logged_exceptions.reset(token)
            return response

    return middleware


def _log_if_server_error(request, response) -> None:
    if response.status_code < 500:
        return
    exceptions = _logged_exceptions.get() or []
    logger.error("%s%s %s: %s", MARKER, request.method, request.get_full_path(), cause(exceptions, response))


def cause(exceptions: list, response) -> str:
    """The first exception logged, as "Type: message" on one line; the status if none was."""
    if not exceptions:
        return f"HTTP {response.status_code} {response.reason_phrase}"
    error = exceptions[0]
    # One line, and nothing a terminal would act on: a message may quote what a client sent.
    message = "".join(character if character.isprintable() else "?" for character in " ".join(str(error).split()))
    return f"{type(error).__name__}: {message}" if message else type(error).__name__
