"""Timestamps written as Dallinger writes them: UTC without a zone designator.

Dallinger stores naive times (`timestamp without time zone`, the server's clock, UTC on its
hosts), so its JSON holds `2024-05-01T12:00:00.123456` and its CSV exports, written by
PostgreSQL, `2024-05-01 12:00:00.123456`. Front ends and analysis scripts parse these forms.
"""

import json
from datetime import datetime, timezone

from django.core.serializers.json import DjangoJSONEncoder


def naive_utc(value: datetime) -> datetime:
    """`value` in UTC with its zone dropped (a naive value is taken to be UTC already)."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def json_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC without a zone, microseconds kept (omitted when zero), as Dallinger's JSON."""
    return naive_utc(value).isoformat()


def csv_timestamp(value: datetime) -> str:
    """As PostgreSQL writes a `timestamp without time zone`: a space between date and time, and
    the fraction of a second without trailing zeros (none when whole)."""
    value = naive_utc(value)
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text


def parse_timestamp(text: str) -> datetime:
    """An aware UTC datetime from any of the forms above or an ISO 8601 time with an offset."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class DallingerJSONEncoder(DjangoJSONEncoder):
    """Django's JSON encoder with datetimes as Dallinger writes them."""

    def default(self, o):
        if isinstance(o, datetime):
            return json_timestamp(o)
        return super().default(o)


def plain_json(data):
    """`data` with datetimes (and other values JSON lacks) turned into what Dallinger's JSON holds."""
    return json.loads(json.dumps(data, cls=DallingerJSONEncoder))
