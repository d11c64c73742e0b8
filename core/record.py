"""Operations on the experimental record as a whole."""

from django.db import connection, transaction

from core.models import (
    Info,
    Network,
    Node,
    Notification,
    Participant,
    Question,
    Recruitment,
    Transformation,
    Transmission,
    Vector,
)

#: The record's models, each listed after every model that refers to it.
MODELS_DEPENDENTS_FIRST = (
    Transmission,
    Transformation,
    Vector,
    Info,
    Question,
    Node,
    Participant,
    Network,
    Notification,
    Recruitment,
)


def record_is_empty() -> bool:
    """Whether no table of the record holds a row."""
    return not any(model.objects.exists() for model in MODELS_DEPENDENTS_FIRST)


def clear_record() -> None:
    """Delete every row of the record and restart its ids at 1 (a fresh run of an experiment)."""
    tables = [model._meta.db_table for model in MODELS_DEPENDENTS_FIRST]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            return
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")
        if connection.vendor == "sqlite":
            placeholders = ", ".join(["%s"] * len(tables))
            cursor.execute(f"DELETE FROM sqlite_sequence WHERE name IN ({placeholders})", tables)
