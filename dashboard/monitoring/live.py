"""What tells an open Monitoring page that the record changed: a marker read in one query.

The marker is a tuple of numbers that changes whenever a row the page shows is added, fails
or changes state: each table's highest id and count of failed rows, participants per status,
full networks, received transmissions, payouts per state. Every number is an index lookup.
Any process may write the record (web servers, the worker, bots, with or without Redis): the
dashboard's socket reads the marker from the database, so it sees them all alike.
"""

from django.db import connection

from core.models import (
    Info,
    Network,
    Node,
    Participant,
    ParticipantStatus,
    Recruitment,
    Transformation,
    Transmission,
    Vector,
)
from recruitment.models import Payment, RecruitmentRefusal

_FAILABLE = (Participant, Network, Node, Vector, Info, Transmission, Transformation)


def _marker_sql() -> tuple[str, list]:
    quote = connection.ops.quote_name
    parts, params = [], []

    def count(model, condition: str, *values) -> None:
        parts.append(f"(SELECT COUNT(*) FROM {quote(model._meta.db_table)} WHERE {condition})")
        params.extend(values)

    for model in (*_FAILABLE, Payment, Recruitment, RecruitmentRefusal):
        parts.append(f"(SELECT MAX({quote('id')}) FROM {quote(model._meta.db_table)})")
    for model in _FAILABLE:
        count(model, quote("failed"))
    for status in ParticipantStatus.values:
        count(Participant, f"{quote('status')} = %s", status)
    for state in Payment.State.values:
        count(Payment, f"{quote('state')} = %s", state)
    count(Network, quote("full"))
    count(Transmission, f"{quote('status')} = %s", "received")
    return "SELECT " + ", ".join(parts), params


def change_marker() -> tuple:
    """The record's change marker now (see the module's docstring)."""
    sql, params = _marker_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return tuple(cursor.fetchone())
