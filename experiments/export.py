"""Dallinger's data export: the experimental record as a zip of CSV files, and loading one back.

Layout of the zip (Dallinger's): `experiment_id.md` (the id on its first line, then when and
what was exported) and `data/<table>.csv` for each table (Dallinger's nine and
`recruitment`), with the database's column names in its column order and rows ordered by id.

Values are written as Dallinger's export writes them (PostgreSQL's `COPY ... CSV`): an empty
unquoted field is NULL and `""` is the empty string; booleans are `t`/`f`; timestamps are
UTC without a zone (`2024-05-01 12:00:00.123456`, trailing zeros dropped); floats in their
shortest form (`2`, `0.5`); `details` and `entry_information` are JSON text as a `jsonb`
column prints it (keys shortest first, `", "` and `": "` between items). Reading accepts
`True`/`False` and timestamps with an offset too (exports of earlier versions).
"""

import contextlib
import io
import json
import os
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from django.core.management.color import no_style
from django.db import connection, models, transaction

from core.models import Info, Participant
from core.record import MODELS_DEPENDENTS_FIRST
from core.timestamps import csv_timestamp, parse_timestamp
from experiments.export_csv import CSVFormatError, read_records, write_record

#: The exported tables' models, in an order where every row's foreign keys come earlier.
MODELS = tuple(reversed(MODELS_DEPENDENTS_FIRST))
TABLES = tuple(model._meta.db_table for model in MODELS)
_MODEL_OF = dict(zip(TABLES, MODELS))

#: What `scrub=True` replaces (documented in docs/experiments.md).
SCRUBBED_NOTE = "worker_id and unique_id pseudonymised, fingerprint_hash cleared"

_BATCH_SIZE = 1000
_TRUE, _FALSE = {"True", "true", "t", "1"}, {"False", "false", "f", "0"}


#: Tables Dallinger does not export: an export of Dallinger's loads without them.
OPTIONAL_TABLES = frozenset({"recruitment"})
#: Columns Dallinger added after its exports had begun; older exports lack them.
OPTIONAL_COLUMNS = {"vector": {"type"}, "info": {"complete"}}


class ArchiveError(Exception):
    """An export zip cannot be loaded; the message says why."""


def table_columns(model) -> list[models.Field]:
    """The model's fields in the order of its table's columns in the database."""
    fields_by_column = {field.column: field for field in model._meta.concrete_fields}
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, model._meta.db_table)
    return [fields_by_column[column.name] for column in description]


# Export ----------------------------------------------------------------------------------


def export_id(*, name: str, config) -> str:
    """The id an export is made under: the configured `id`, else `<experiment name>-<UTC time>`."""
    configured = config.get("id", None)
    if configured:
        return str(configured)
    return f"{name}-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}"


def export_data(destination: Path, *, experiment_id: str, scrub: bool = True) -> Path:
    """Write the whole record to the zip `destination` (replacing it) and return its path.

    All tables are read from one snapshot of the database, row by row, so memory stays
    flat. With `scrub`, participants' worker ids become pseudonyms and fingerprints are
    cleared. The zip appears only once complete.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".export-", suffix=".zip", dir=destination.parent)
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive, _snapshot():
            counts = {table: _write_table(archive, _MODEL_OF[table], scrub) for table in TABLES}
            archive.writestr("experiment_id.md", _description(experiment_id, scrub, counts))
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return destination


@contextlib.contextmanager
def _snapshot():
    """One transaction that sees the database as it was at its start (on PostgreSQL).

    Inside an enclosing transaction (tests, callers' own atomic blocks) that transaction's
    view is used as it is.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _write_table(archive: zipfile.ZipFile, model, scrub: bool) -> int:
    fields = table_columns(model)
    formatters = [_formatter(field) for field in fields]
    rows = model._base_manager.order_by("pk").values_list(*(field.attname for field in fields))
    scrubber = _ParticipantScrubber(fields) if scrub and model is Participant else None
    count = 0
    with _zip_member_text(archive, f"data/{model._meta.db_table}.csv") as stream:
        write_record(stream, [field.column for field in fields])
        for row in rows.iterator(chunk_size=_BATCH_SIZE):
            if scrubber is not None:
                row = scrubber.scrub(row)
            write_record(stream, [None if value is None else form(value) for form, value in zip(formatters, row)])
            count += 1
    return count


@contextlib.contextmanager
def _zip_member_text(archive: zipfile.ZipFile, name: str):
    """A UTF-8 text stream writing the member `name` of `archive`."""
    with archive.open(name, "w", force_zip64=True) as raw:
        stream = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        yield stream
        stream.flush()
        stream.detach()


def _formatter(field):
    if isinstance(field, models.BooleanField):
        return lambda value: "t" if value else "f"
    if isinstance(field, models.DateTimeField):
        return csv_timestamp
    if isinstance(field, models.JSONField):
        return jsonb_text
    if isinstance(field, models.FloatField):
        return float_text
    return str


def jsonb_text(value) -> str:
    """JSON as PostgreSQL prints a `jsonb` value: object keys shortest first (then by their
    UTF-8 bytes), `", "` between items and `": "` after keys, non-ASCII text as it is."""
    return json.dumps(_jsonb_ordered(value), ensure_ascii=False)


def _jsonb_ordered(value):
    if isinstance(value, dict):
        keys = sorted(value, key=lambda key: (len(key.encode()), key.encode()))
        return {key: _jsonb_ordered(value[key]) for key in keys}
    if isinstance(value, list):
        return [_jsonb_ordered(item) for item in value]
    return value


def float_text(value: float) -> str:
    """A float as PostgreSQL prints a `double precision`: the shortest form, no `.0` on whole numbers."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


class _ParticipantScrubber:
    """Replaces worker ids by `worker-<n>` (numbered by first appearance) and clears fingerprints."""

    def __init__(self, fields):
        index = {field.column: position for position, field in enumerate(fields)}
        self._worker = index["worker_id"]
        self._unique = index["unique_id"]
        self._assignment = index["assignment_id"]
        self._fingerprint = index["fingerprint_hash"]
        self._entry = index["entry_information"]
        self._pseudonyms = {}

    def pseudonym(self, worker_id: str) -> str:
        """The stable pseudonym of `worker_id` (the empty id stays empty)."""
        if not worker_id:
            return worker_id
        return self._pseudonyms.setdefault(worker_id, f"worker-{len(self._pseudonyms) + 1}")

    def scrub(self, row: tuple) -> tuple:
        """The participant row with its identifying values replaced."""
        row = list(row)
        worker_id = row[self._worker]
        pseudonym = self.pseudonym(worker_id)
        row[self._worker] = pseudonym
        row[self._unique] = f"{pseudonym}:{row[self._assignment]}"
        row[self._fingerprint] = None
        entry = row[self._entry]
        if worker_id and isinstance(entry, dict):
            # Recruiters may repeat the worker id among the entry parameters.
            row[self._entry] = {key: pseudonym if value == worker_id else value for key, value in entry.items()}
        return tuple(row)


def _description(experiment_id: str, scrub: bool, counts: dict) -> str:
    exported = datetime.now(timezone.utc).isoformat(timespec="seconds")
    lines = [
        experiment_id,
        "",
        f"Exported: {exported}",
        f"Database: {connection.vendor}",
        f"Scrubbed: {'yes (' + SCRUBBED_NOTE + ')' if scrub else 'no (contains identifying data)'}",
        "",
        "| Table | Rows |",
        "| --- | --- |",
        *(f"| data/{table}.csv | {count} |" for table, count in counts.items()),
    ]
    return "\n".join(lines) + "\n"


# Import ----------------------------------------------------------------------------------


def import_data(zip_path: Path) -> dict[str, int]:
    """Load an export zip into an empty record, keeping ids; return rows loaded per table.

    Everything is checked against the database's tables first and loaded in one
    transaction: on any error (ArchiveError) nothing is changed. Afterwards the id
    sequences continue past the loaded ids.
    """
    try:
        archive = zipfile.ZipFile(zip_path)
    except (OSError, zipfile.BadZipFile) as error:
        raise ArchiveError(f"Cannot open {zip_path}: {error}") from error
    with archive:
        try:
            with transaction.atomic():
                columns = _check_layout(archive)
                _check_empty()
                counts = {
                    table: _load_table(archive, _MODEL_OF[table], columns[table]) if table in columns else 0
                    for table in TABLES
                }
                _reset_sequences()
        except (CSVFormatError, UnicodeDecodeError) as error:
            raise ArchiveError(f"{zip_path} is not a readable export: {error}") from error
    return counts


def _check_empty() -> None:
    occupied = [table for table in TABLES if _MODEL_OF[table]._base_manager.exists()]
    if occupied:
        raise ArchiveError(
            f"The database already holds experiment data (in {', '.join(occupied)}); load into an empty database."
        )


def _check_layout(archive: zipfile.ZipFile) -> dict[str, list[models.Field]]:
    """Each table's fields in the order of its CSV header; ArchiveError if they do not match.

    Tables and columns Dallinger's own exports may lack (OPTIONAL_TABLES, OPTIONAL_COLUMNS)
    are left out of the answer; their rows and values take the defaults.
    """
    csv_names = {name for name in archive.namelist() if name.startswith("data/") and name.endswith(".csv")}
    expected = {f"data/{table}.csv" for table in TABLES}
    if missing := sorted(expected - csv_names - {f"data/{table}.csv" for table in OPTIONAL_TABLES}):
        raise ArchiveError(f"The zip has no {', '.join(missing)}.")
    if unknown := sorted(csv_names - expected):
        raise ArchiveError(f"The zip has unknown tables: {', '.join(unknown)}.")
    columns = {}
    for table in TABLES:
        if f"data/{table}.csv" not in csv_names:
            continue
        fields = {field.column: field for field in table_columns(_MODEL_OF[table])}
        with contextlib.closing(_records(archive, table)) as records:
            header = next(records, None) or []
        unknown = [name for name in header if name not in fields]
        optional = OPTIONAL_COLUMNS.get(table, set())
        missing = [name for name in fields if name not in header and name not in optional]
        if unknown or missing or len(set(header)) != len(header):
            problems = [f"unknown columns {unknown}" if unknown else "", f"missing columns {missing}" if missing else ""]
            detail = "; ".join(problem for problem in problems if problem) or "repeated columns"
            raise ArchiveError(f"data/{table}.csv does not match the {table} table: {detail}.")
        columns[table] = [fields[name] for name in header]
    return columns


def _records(archive: zipfile.ZipFile, table: str):
    with archive.open(f"data/{table}.csv") as raw:
        yield from read_records(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""), f"data/{table}.csv")


def _load_table(archive: zipfile.ZipFile, model, fields: list) -> int:
    parsers = [field_parser(field) for field in fields]
    names = [field.attname for field in fields]
    table = model._meta.db_table
    batch, count = [], 0
    records = _records(archive, table)
    next(records)  # the header
    for line, record in enumerate(records, start=2):
        if len(record) != len(fields):
            raise ArchiveError(f"data/{table}.csv line {line}: {len(record)} values for {len(fields)} columns.")
        values = {}
        for name, parse, field, text in zip(names, parsers, fields, record):
            try:
                values[name] = None if text is None else parse(text)
            except ValueError as error:
                raise ArchiveError(f"data/{table}.csv line {line}, column {field.column}: {error}") from None
        if model is Info and "complete" not in values:
            values["complete"] = values.get("contents") is not None  # what Info.save keeps
        batch.append(model(**values))
        if len(batch) >= _BATCH_SIZE:
            count += _insert(model, batch)
    return count + _insert(model, batch)


def _insert(model, batch: list) -> int:
    model._base_manager.bulk_create(batch)
    inserted = len(batch)
    batch.clear()
    return inserted


def field_parser(field):
    """The function reading one CSV field of a column of `field` (None is handled by callers)."""
    if isinstance(field, models.BooleanField):
        return _parse_boolean
    if isinstance(field, models.DateTimeField):
        return parse_timestamp
    if isinstance(field, models.JSONField):
        return json.loads
    if isinstance(field, (models.IntegerField, models.ForeignKey)):
        return int
    if isinstance(field, models.FloatField):
        return float
    return str


def _parse_boolean(text: str) -> bool:
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{text!r} is not a boolean (True/False)")


def _reset_sequences() -> None:
    """Make the next ids follow the loaded ones (PostgreSQL; SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(MODELS))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
