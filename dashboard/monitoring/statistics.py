"""Reads for the Monitoring page's statistics that the experiment does not define: payments
(the ledger's totals and the budget) and participants over time."""

from datetime import timedelta

from django.db.models import Count, Max, Min
from django.db.models.functions import Trunc

from core.models import Participant
from recruitment.payments.budget import budget_status
from recruitment.payments.selectors import ledger_totals

#: The time unit of the participants chart, by how long the study has run: at most a few
#: hundred points whatever its length.
CHART_UNITS = ((timedelta(hours=3), "minute"), (timedelta(days=7), "hour"))


def payments(config) -> dict:
    """The payment ledger's totals by kind, state and currency, and the budget: what is
    committed, the cap and the share of it used (recruitment.payments)."""
    return {"ledger": ledger_totals(), "budget": budget_status(config)}


def participants_over_time() -> dict:
    """How many participants had joined, and how many had finished (have an end time), by the
    end of each minute, hour or day of the study (three queries)."""
    span = Participant.objects.aggregate(first=Min("creation_time"), joined=Max("creation_time"), ended=Max("end_time"))
    if span["first"] is None:
        return {"unit": "minute", "points": []}
    last = max(moment for moment in (span["joined"], span["ended"]) if moment is not None)
    unit = next((name for length, name in CHART_UNITS if last - span["first"] <= length), "day")
    joined = _per(unit, "creation_time")
    finished = _per(unit, "end_time")
    points, total_joined, total_finished = [], 0, 0
    for moment in sorted(set(joined) | set(finished)):
        total_joined += joined.get(moment, 0)
        total_finished += finished.get(moment, 0)
        points.append({"time": moment, "joined": total_joined, "finished": total_finished})
    return {"unit": unit, "points": points}


def _per(unit: str, column: str) -> dict:
    rows = (
        Participant.objects.filter(**{f"{column}__isnull": False})
        .annotate(moment=Trunc(column, unit))
        .values("moment")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {row["moment"]: row["count"] for row in rows}
