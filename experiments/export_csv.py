"""CSV as PostgreSQL's `COPY ... CSV` writes it: an unquoted empty field is NULL, `""` is "".

Python's csv module (before 3.12) cannot tell the two apart, and the export must, so that
a NULL property and an empty one both survive a round trip.
"""

import re

_NEEDS_QUOTES = re.compile(r'[,"\r\n]')
_FIELD = re.compile(r'"((?:[^"]|"")*)"|([^,"\r\n]*)')
_LINE_ENDS = ("", "\n", "\r\n", "\r")


class CSVFormatError(ValueError):
    """A CSV file is not well formed; the message names the file and line."""


def encode_field(value: str | None) -> str:
    """One field: NULL as nothing, the empty string and text with separators quoted."""
    if value is None:
        return ""
    if value == "" or _NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


def write_record(stream, values) -> None:
    """Write one record of strings (or None for NULL) to a text stream, ending in a newline."""
    stream.write(",".join(encode_field(value) for value in values) + "\n")


def read_records(stream, name: str = "CSV"):
    """Yield each record of a text stream (opened with `newline=""`) as a list.

    Unquoted empty fields are None; quoted fields may span lines.
    """
    pending, first_line = "", 1
    for line_number, line in enumerate(stream, start=1):
        pending += line
        record = _parse(pending, name, first_line)
        if record is None:
            continue  # a quoted field goes on to the next line
        yield record
        pending, first_line = "", line_number + 1
    if pending:
        raise CSVFormatError(f"{name} line {first_line}: a quoted field is never closed.")


def _parse(text: str, name: str, line: int) -> list | None:
    """The fields of one record, or None if `text` ends inside a quoted field."""
    fields, position = [], 0
    while True:
        match = _FIELD.match(text, position)
        quoted, plain = match.groups()
        if quoted is not None:
            fields.append(quoted.replace('""', '"'))
        else:
            fields.append(plain or None)
        position = match.end()
        rest = text[position:]
        if rest in _LINE_ENDS:
            return fields
        if rest[0] == ",":
            position += 1
            continue
        if rest[0] == '"' and not plain:
            return None
        raise CSVFormatError(f"{name} line {line}: unexpected {rest[0]!r} after a field.")
