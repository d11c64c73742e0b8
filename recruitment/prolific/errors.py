"""The errors the Prolific client raises, and how Prolific's error answers are read."""

from recruitment.base import RecruiterError


def redacted(token: str) -> str:
    """A token shortened to its first and last three characters, safe to show in a message."""
    token = token or ""
    if len(token) < 12:
        return "…"
    return f"{token[:3]}…{token[-3:]}"


class ProlificError(RecruiterError):
    """Prolific did not do what was asked; says which call, what status and why."""

    #: What happened, in the words the one-line message uses.
    verb = "failed"

    def __init__(self, method: str, path: str, *, status: int | None = None, error_code="", detail: str = ""):
        self.method = method
        self.path = path
        self.status = status
        self.error_code = "" if error_code is None else str(error_code)
        self.detail = detail
        super().__init__(str(self))

    def __str__(self):
        reasons = " ".join(part for part in (str(self.status or ""), self.error_code) if part)
        where = f" ({reasons})" if reasons else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"Prolific {self.verb} {self.method} {self.path}{where}{detail}"

    def __reduce__(self):
        # Exceptions travel between processes (Celery results); keep the keyword arguments.
        fields = {"status": self.status, "error_code": self.error_code, "detail": self.detail}
        return (_rebuild, (type(self), self.method, self.path, fields))


def _rebuild(error_class, method, path, fields):
    return error_class(method, path, **fields)


class ProlificRefused(ProlificError):
    """Prolific answered with a permanent refusal (a 4xx other than 429): repeating it will not help."""

    verb = "refused"


class ProlificUnavailable(ProlificError):
    """Prolific kept failing transiently (429, 5xx, timeouts, connection errors) on every attempt."""

    verb = "was unavailable for"


class ProlificAmbiguous(ProlificError):
    """A call that is not safe to repeat may or may not have taken effect: check before repeating it."""

    verb = "may or may not have done"


def readable(detail, limit: int = 600) -> str:
    """Prolific's `detail` (a string, a list, or a dict of field → messages) as one readable line."""
    text = _flatten(detail).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _flatten(detail) -> str:
    if detail is None:
        return ""
    if isinstance(detail, str):
        return " ".join(detail.split())
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_flatten(value)}" for key, value in detail.items())
    if isinstance(detail, (list, tuple)):
        return ", ".join(_flatten(item) for item in detail)
    return str(detail)


def envelope_reason(body) -> tuple[str, str]:
    """The (error_code, detail) of an error answer, in either of the shapes Prolific uses."""
    if not isinstance(body, dict):
        return "", readable(body) if isinstance(body, str) else ""
    error = body.get("error")
    if isinstance(error, dict):
        detail = readable(error.get("detail")) or readable(error.get("title"))
        extra = readable(error.get("additional_information"))
        if extra and extra not in detail:
            detail = f"{detail} ({extra})" if detail else extra
        return str(error.get("error_code") or ""), detail
    if error is not None:
        return "", readable(error)
    message, detail = readable(body.get("message")), readable(body.get("detail"))
    return "", " - ".join(part for part in (message, detail) if part) or readable(body)
