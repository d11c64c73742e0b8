"""Downloads of the rows selected in a table, as CSV or JSON."""

import csv
import io
import json

from django.http import HttpResponse
from django.utils import timezone

from dashboard.database.rows import export_row

FORMATS = ("csv", "json")
#: A spreadsheet runs a cell starting with one of these as a formula: such text gets a leading
#: apostrophe in CSV, so a participant's answer cannot become one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def selection_download(queryset, export_format: str) -> HttpResponse:
    """The rows of `queryset` (by id) as a CSV or JSON file to download."""
    rows = [export_row(row) for row in queryset.order_by("pk")]
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    name = f"{queryset.model._meta.concrete_model._meta.model_name}-{stamp}.{export_format}"
    if export_format == "json":
        body, content_type = json.dumps(rows, indent=2, ensure_ascii=False), "application/json"
    else:
        body, content_type = rows_csv(rows), "text/csv"
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def rows_csv(rows: list[dict]) -> str:
    """Rows as CSV with a header: every key any row has, in first-seen order; nested values as
    JSON, None as an empty field, text that a spreadsheet would run defused."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return stream.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return str(value)
