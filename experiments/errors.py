"""Errors the experiment services raise; the API turns each into Dallinger's JSON error envelope."""


class ExperimentError(Exception):
    """A request that cannot be carried out; nothing was changed.

    `status_code` is the HTTP status the API answers with, `error_code` an optional
    machine-readable code that front ends can test for.
    """

    status_code = 400
    error_code = None

    def __init__(self, message: str, *, error_code: str | None = None, participant=None):
        super().__init__(message)
        self.message = message
        if error_code is not None:
            self.error_code = error_code
        self.participant = participant


class BadRequest(ExperimentError):
    """Missing or malformed input, or an action the record's rules do not allow (400)."""


class Refused(ExperimentError):
    """Unknown participant or network, or a request the experiment refuses (403)."""

    status_code = 403


class NotFound(ExperimentError):
    """The thing asked for does not exist (404)."""

    status_code = 404
