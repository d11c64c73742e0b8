"""Reads for the experimenter's overview of recruitment: participants, places, the payment ledger."""

from django.db.models import Count, Sum

from core.models import Participant, Recruitment
from recruitment.base import LAUNCH_RECORD
from recruitment.models import Payment, ProlificStudy

#: Ledger states that need the experimenter: paid or not cannot be told, or not paid.
ATTENTION_STATES = (Payment.State.UNKNOWN, Payment.State.FAILED)


def participant_status_counts() -> dict[str, int]:
    """How many participants are in each status, most common first."""
    rows = Participant.objects.values("status").annotate(count=Count("id")).order_by("-count", "status")
    return {row["status"]: row["count"] for row in rows}


def recruitment_counts() -> dict[str, int]:
    """How many places each recruiter was asked for (the launch's own row left out)."""
    rows = (
        Recruitment.objects.exclude(recruiter_id=LAUNCH_RECORD)
        .values("recruiter_id")
        .annotate(count=Count("id"))
        .order_by("recruiter_id")
    )
    return {row["recruiter_id"] or "": row["count"] for row in rows}


def prolific_study_of(experiment_id: str) -> ProlificStudy | None:
    """The experiment's Prolific study as last recorded, or None."""
    return ProlificStudy.objects.filter(experiment=experiment_id).first()


def ledger_totals() -> list[dict]:
    """The ledger's payouts by kind, state and currency: `kind`, `state`, `currency`, `count`, `total`."""
    return list(
        Payment.objects.values("kind", "state", "currency")
        .annotate(count=Count("id"), total=Sum("amount"))
        .order_by("kind", "state", "currency")
    )


def payouts_needing_attention(limit: int = 50) -> list[Payment]:
    """Payouts in `unknown` or `failed`, oldest first."""
    return list(Payment.objects.filter(state__in=ATTENTION_STATES).order_by("id")[:limit])
