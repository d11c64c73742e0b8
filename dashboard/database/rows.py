"""Rows of the dashboard's tables as data: for experiments' database actions and for exports."""

import json

from django.core.serializers.json import DjangoJSONEncoder

from core.models import Participant
from recruitment.models import Payment

#: Columns an export leaves out, by model: they identify a person on the recruiter's site
#: (worker ids, and what repeats them: entry information, payout keys).
IDENTIFYING = {
    Participant: ("worker_id", "unique_id", "fingerprint_hash", "entry_information"),
    Payment: ("worker_id", "key"),
}


def row_data(row) -> dict:
    """A row as Dallinger's database view gives it to an action: its JSON (`__json__`, or its
    columns for tables outside the record) with `object_type`, and for a participant the
    worker id; datetimes and decimals as strings."""
    if hasattr(row, "__json__"):
        data = row.__json__()
    else:
        data = {field.attname: getattr(row, field.attname) for field in row._meta.concrete_fields}
    data.setdefault("object_type", row._meta.concrete_model.__name__)
    if isinstance(row, Participant):
        data["worker_id"] = row.worker_id
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, default=str))


def export_row(row) -> dict:
    """A row as an export of a selection holds it: `row_data` without the identifying columns."""
    data = row_data(row)
    for name in IDENTIFYING.get(row._meta.concrete_model, ()):
        data.pop(name, None)
    return data
