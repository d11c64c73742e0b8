"""Reading an export for analysis, as Dallinger's `dallinger.data` does: `Data`, `Table`, `load`, `export`.

`Data(path)` opens an export zip (this project's or Dallinger's) and has one `Table` per
table, named as Dallinger names them: `infos`, `networks`, `nodes`, `notifications`,
`participants`, `questions`, `transformations`, `transmissions`, `vectors` (and
`recruitments` when the zip has that table). A `Table` gives its rows as dicts of typed
values (`records`), as a pandas DataFrame (`df`), and as text (`csv`, `tsv`); `dict` is the
first row, as in Dallinger. pandas is needed only for `df` and imported only then.

Values are typed by the column they are in: booleans (`t`/`f`), timestamps (aware UTC
datetimes), JSON columns (parsed), numbers; an empty unquoted field is None, `""` the empty
string. A column the record does not have stays text.
"""

import csv
import io
import os
import zipfile
from functools import cached_property
from pathlib import Path

from experiments.export_csv import CSVFormatError, read_records

#: Dallinger's exported tables, in its order; `recruitment` is this project's own.
TABLE_NAMES = (
    "info",
    "network",
    "node",
    "notification",
    "participant",
    "question",
    "transformation",
    "transmission",
    "vector",
    "recruitment",
)


class DataError(ValueError):
    """An export cannot be read; the message says which file and why."""


def _record_models() -> dict:
    """Each exported table's model (Django is set up with the project's settings if need be,
    so that a plain analysis script can read an export)."""
    from django.apps import apps

    if not apps.ready:
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dallinger_project.settings")
        django.setup()
    from experiments.export import MODELS

    return {model._meta.db_table: model for model in MODELS}


class Table:
    """One table of an export: `Table(path)` reads a CSV file, `Table.from_text(name, text)` its text."""

    def __init__(self, path, *, name: str | None = None, text: str | None = None):
        self.path = Path(path) if path is not None else None
        self.name = name or (self.path.stem if self.path else "table")
        if text is None:
            text = self.path.read_text(encoding="utf-8-sig")
        self._text = text
        try:
            records = list(read_records(io.StringIO(text, newline=""), f"{self.name}.csv"))
        except CSVFormatError as error:
            raise DataError(str(error)) from None
        self.columns: list[str] = records[0] if records else []
        self._rows = records[1:]
        for number, row in enumerate(self._rows, start=2):
            if len(row) != len(self.columns):
                raise DataError(f"{self.name}.csv line {number}: {len(row)} values for {len(self.columns)} columns.")

    @classmethod
    def from_text(cls, name: str, text: str) -> "Table":
        """The table `name` from its CSV text."""
        return cls(None, name=name, text=text)

    def __len__(self) -> int:
        return len(self._rows)

    def __repr__(self):
        return f"<Table {self.name}: {len(self)} rows>"

    @cached_property
    def _fields(self) -> list:
        model = _record_models().get(self.name)
        by_column = {field.column: field for field in model._meta.concrete_fields} if model else {}
        return [by_column.get(column) for column in self.columns]

    @cached_property
    def records(self) -> list[dict]:
        """The rows as dicts of typed values, in file order."""
        from experiments.export import field_parser

        converters = [field_parser(field) if field is not None else str for field in self._fields]
        rows = []
        for number, row in enumerate(self._rows, start=2):
            values = {}
            for column, convert, text in zip(self.columns, converters, row):
                try:
                    values[column] = None if text is None else convert(text)
                except ValueError as error:
                    raise DataError(f"{self.name}.csv line {number}, column {column}: {error}") from None
            rows.append(values)
        return rows

    @property
    def dict(self) -> dict:
        """The first row (what Dallinger's `Table.dict` gives); {} for an empty table."""
        return self.records[0] if self.records else {}

    @property
    def csv(self) -> str:
        """The table as the export's CSV text."""
        return self._text

    @property
    def tsv(self) -> str:
        """The table as tab-separated values (NULL and the empty string both empty)."""
        stream = io.StringIO()
        writer = csv.writer(stream, delimiter="\t", lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(["" if value is None else value for value in row] for row in self._rows)
        return stream.getvalue()

    @property
    def df(self):
        """A pandas DataFrame: booleans as `boolean`, ids with gaps as `Int64`, timestamps as
        UTC datetimes, JSON columns as Python objects."""
        import pandas as pd
        from django.db import models

        frame = pd.DataFrame.from_records(self.records, columns=self.columns)
        for column, field in zip(self.columns, self._fields):
            if isinstance(field, models.BooleanField):
                frame[column] = frame[column].astype("boolean")
            elif isinstance(field, models.DateTimeField):
                frame[column] = pd.to_datetime(frame[column], utc=True)
            elif isinstance(field, (models.IntegerField, models.ForeignKey)):
                frame[column] = frame[column].astype("Int64")
            elif isinstance(field, models.FloatField):
                frame[column] = frame[column].astype("float64")
        return frame


class Data:
    """An export zip, one `Table` attribute per table (`data.infos`, `data.participants`...)."""

    def __init__(self, URL):
        self.source = str(URL)
        try:
            archive = zipfile.ZipFile(URL)
        except (OSError, zipfile.BadZipFile) as error:
            raise DataError(f"Cannot open the export {URL}: {error}") from None
        with archive:
            names = set(archive.namelist())
            self.tables: dict[str, Table] = {}
            for table in TABLE_NAMES:
                member = f"data/{table}.csv"
                if member not in names:
                    if table != "recruitment":
                        raise DataError(f"The export {URL} has no {member}.")
                    continue
                try:
                    text = archive.read(member).decode("utf-8-sig")
                except UnicodeDecodeError as error:
                    raise DataError(f"{member} in {URL} is not UTF-8 text: {error}") from None
                self.tables[table] = Table.from_text(table, text)
                setattr(self, f"{table}s", self.tables[table])
            self.experiment_id = (
                archive.read("experiment_id.md").decode().splitlines()[0].strip()
                if "experiment_id.md" in names
                else None
            )

    def __repr__(self):
        return f"<Data {self.source}>"


def find_experiment_export(app_id: str) -> str | None:
    """The path of `data/<app_id>-data.zip` under the current directory, if it is there and
    readable (Dallinger then looks in its S3 buckets; there are none here)."""
    path = Path.cwd() / "data" / f"{app_id}-data.zip"
    if not path.exists():
        return None
    try:
        Data(path)
    except DataError:
        return None
    return str(path)


def load(app_id: str) -> Data:
    """The export of experiment `app_id` found by `find_experiment_export`; OSError if none."""
    path = find_experiment_export(app_id)
    if path is None:
        raise OSError(f"Dataset {app_id} could not be found.")
    return Data(path)


def export(id: str, local: bool = True, scrub_pii: bool = False) -> str:
    """Export the record to `data/<id>-data.zip` under the current directory and return its path.

    Dallinger's signature: `local` is accepted and ignored (the database is always this
    server's), and worker ids are kept unless `scrub_pii` (as in Dallinger; `manage.py
    export` scrubs by default).
    """
    from experiments.export import export_data

    _record_models()
    destination = Path.cwd() / "data" / f"{id}-data.zip"
    return str(export_data(destination, experiment_id=id, scrub=scrub_pii))
