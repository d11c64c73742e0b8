"""Dallinger's JSON envelopes: `{"status": "success", ...}` and `{"status": "error", "html": ...}`."""

from rest_framework.response import Response

from experiments.error_page import error_page_html


def as_json(objects):
    """The `__json__()` of one object or of each in a list."""
    if isinstance(objects, (list, tuple)):
        return [item.__json__() for item in objects]
    return objects.__json__()


def success(status: int = 200, headers=None, **payload) -> Response:
    """A success envelope carrying `payload` (objects already turned into JSON)."""
    return Response({"status": "success", **payload}, status=status, headers=headers)


def error_body(request, *, message: str, error_code=None, participant=None, error_type: str = "") -> dict:
    """Dallinger's error envelope: the rendered error page, a plain message and an optional code."""
    body = {
        "status": "error",
        "html": error_page_html(request, message=message, error_type=error_type, participant=participant),
        "message": message,
    }
    if error_code:
        body["error_code"] = error_code
    return body


def error(request, *, message: str, status: int, error_code=None, participant=None, error_type: str = "") -> Response:
    """The error envelope as an API answer with `status`."""
    body = error_body(request, message=message, error_code=error_code, participant=participant, error_type=error_type)
    return Response(body, status=status)
