"""What tells an open Monitoring page that the record changed: a counter read in one lookup.

Every write to a table the page shows (the record's failable tables, the payment ledger,
recruitment requests and refusals) moves a counter kept by the database itself, through
triggers that `record_triggers_install` puts on those tables after each `migrate`. Any process
may write the record (web servers, the worker, bots, a bulk `update()`, a truncation): the
database counts them all alike, and reading the counter costs the same however many rows the
record holds (a sequence's value on PostgreSQL, one row by its key on SQLite) — the page's
socket reads it every second and a half.

On PostgreSQL the counter is a sequence advanced by constraint triggers deferred to commit:
`nextval` takes no lock, so concurrent writers never queue on the counter, and a change is
counted as its transaction commits, not while it may still roll back. On SQLite (one writer
at a time anyway) it is a one-row table updated inside the writing transaction.
"""

from django.db import connection, connections

from core.models import Info, Network, Node, Participant, Recruitment, Transformation, Transmission, Vector
from recruitment.models import Payment, RecruitmentRefusal

#: The models whose changes the Monitoring page shows.
WATCHED = (Participant, Network, Node, Vector, Info, Transmission, Transformation, Payment, Recruitment,
           RecruitmentRefusal)  # fmt: skip
#: The database object that counts changes (a sequence on PostgreSQL, a table on SQLite).
COUNTER = "dashboard_record_changes"
TRIGGER = "dashboard_record_changed"


def _tables() -> list[str]:
    return sorted({model._meta.db_table for model in WATCHED})


def _postgresql_statements(quote) -> list[str]:
    statements = [
        f"CREATE SEQUENCE IF NOT EXISTS {COUNTER}",
        f"CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN PERFORM nextval('{COUNTER}'); RETURN NULL; END $$",
    ]
    for table in map(quote, _tables()):
        statements += [
            f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}",
            f"CREATE CONSTRAINT TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()",
            # A truncation (clearing the record) fires no row trigger.
            f"DROP TRIGGER IF EXISTS {TRIGGER}_truncate ON {table}",
            f"CREATE TRIGGER {TRIGGER}_truncate AFTER TRUNCATE ON {table} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {TRIGGER}()",
        ]
    return statements


def _sqlite_statements(quote) -> list[str]:
    # The row is put back if a flush emptied the table, so the count never stops.
    bump = (f"INSERT OR IGNORE INTO {COUNTER} (id, changes) VALUES (1, 0); "
            f"UPDATE {COUNTER} SET changes = changes + 1 WHERE id = 1;")  # fmt: skip
    statements = [f"CREATE TABLE IF NOT EXISTS {COUNTER} (id INTEGER PRIMARY KEY, changes INTEGER NOT NULL)",
                  f"INSERT OR IGNORE INTO {COUNTER} (id, changes) VALUES (1, 0)"]  # fmt: skip
    for table in _tables():
        for event in ("INSERT", "UPDATE", "DELETE"):
            name = quote(f"{TRIGGER}_{table}_{event.lower()}")
            # Dropped and made again: SQLite's table rebuilds (a migration altering a column) drop triggers.
            statements += [f"DROP TRIGGER IF EXISTS {name}",
                           f"CREATE TRIGGER {name} AFTER {event} ON {quote(table)} BEGIN {bump} END"]  # fmt: skip
    return statements


def record_triggers_install(*, using=None) -> None:
    """Create (or make again) the change counter and its triggers on the watched tables.
    Run after every `migrate` (dashboard/apps.py): it is idempotent."""
    target = connections[using] if using else connection
    statements = {"postgresql": _postgresql_statements, "sqlite": _sqlite_statements}.get(target.vendor)
    if statements is None:
        return
    with target.cursor() as cursor:
        for statement in statements(target.ops.quote_name):
            cursor.execute(statement)


def change_marker_sql() -> str:
    """The one statement that reads the change counter (for the marker and its tests)."""
    if connection.vendor == "postgresql":
        return f"SELECT last_value, is_called FROM {COUNTER}"
    return f"SELECT changes FROM {COUNTER} WHERE id = 1"


def change_marker() -> tuple:
    """The record's change marker now (see the module's docstring)."""
    with connection.cursor() as cursor:
        cursor.execute(change_marker_sql())
        return tuple(cursor.fetchone() or ())
