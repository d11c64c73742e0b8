"""What the parts of the fake Prolific share: the API error, the parsed request, fresh ids."""

import secrets
from dataclasses import dataclass, field


def new_id() -> str:
    """A Prolific-style id: 24 hexadecimal characters."""
    return secrets.token_hex(12)


class ApiError(Exception):
    """An error answer, sent in Prolific's error envelope."""

    def __init__(self, status: int, detail, *, title: str = "", error_code: int = 0):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or {400: "Invalid request", 401: "Not authenticated", 404: "Not found"}.get(status, "Error")
        self.error_code = error_code or {400: 140001, 401: 140101, 404: 140404}.get(status, 140000)

    def envelope(self) -> dict:
        """The body Prolific answers errors with."""
        return {
            "error": {
                "status": self.status,
                "error_code": self.error_code,
                "title": self.title,
                "detail": self.detail,
                "additional_information": "",
            }
        }


@dataclass
class ApiRequest:
    """One parsed request: method, path under the API root, query (first values), JSON body."""

    method: str
    path: str
    query: dict
    json: object
    url_root: str
    groups: tuple = field(default=())


def require(condition, status: int, detail):
    """Answer with an error unless `condition` holds."""
    if not condition:
        raise ApiError(status, detail)
