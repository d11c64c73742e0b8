"""Failing rows of the record by hand: Dallinger's `dashboard_fail`, used by the dashboard."""

from django.db import transaction

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

#: The tables a row to fail may name, by their `object_type` (Dallinger's model class names).
FAILABLE = {
    model.__name__: model
    for model in (
        Info, Network, Node, Notification, Participant, Question, Recruitment, Transformation, Transmission, Vector,
    )
}  # fmt: skip
#: Dallinger's answer when nothing was failed.
NOTHING_FAILED = "No nodes found to fail"


def records_fail(*, data) -> str:
    """Fail each row named in `data` (dicts with `id` and `object_type`, e.g. "Node") that is
    not failed yet, with its model's failure cascade; say how many of each type were failed:
    "Failed 2 Nodes, 1 Participants" (or "No nodes found to fail").

    As Dallinger, an unknown `object_type` or a missing row is skipped. ValueError when `data`
    is not a list of such dicts, or an id is not a whole number: then nothing is failed. All
    the rows are failed in one transaction, each locked first, so two requests failing the
    same row fail it once.
    """
    entries = _entries(data)
    counts: dict[str, int] = {}
    with transaction.atomic():
        for object_type, pk in entries:
            model = FAILABLE.get(object_type)
            if model is None:
                continue
            row = model.objects.select_for_update().filter(pk=pk).first()
            if row is not None and not row.failed:
                row.fail()
                counts[object_type] = counts.get(object_type, 0) + 1
    if not counts:
        return NOTHING_FAILED
    return "Failed " + ", ".join(f"{count} {object_type}s" for object_type, count in sorted(counts.items()))


def _entries(data) -> list[tuple[str, int]]:
    if not isinstance(data, list):
        raise ValueError("The rows to fail must be a list of objects with an id and an object_type.")
    entries = []
    for entry in data:
        if not isinstance(entry, dict):
            raise ValueError("Each row to fail must be an object with an id and an object_type.")
        pk = entry.get("id")
        if isinstance(pk, bool) or not isinstance(pk, (int, str)) or not str(pk).strip().isdigit():
            raise ValueError(f"{pk!r} is not the id of a row.")
        entries.append((str(entry.get("object_type") or ""), int(str(pk).strip())))
    return entries
