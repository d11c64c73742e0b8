"""The Prolific study an experiment recruits through, as this database records it (one per
experiment id): reads and writes of `ProlificStudy`."""

from django.db import IntegrityError, transaction

from recruitment.base import RecruiterError
from recruitment.models import ProlificStudy

#: Prolific's currency when a study's answer does not name one (its accounts are in pounds).
DEFAULT_CURRENCY = "GBP"


def study_for(config) -> ProlificStudy | None:
    """The study recorded for the configured experiment (`id`), or None."""
    experiment_id = config.get("id") or ""
    if not experiment_id:
        return None
    return ProlificStudy.objects.filter(experiment=experiment_id).first()


def study_record(
    *, experiment_id: str, study: dict, workspace_id: str, project_id: str, codes: dict, url: str
) -> ProlificStudy:
    """Record the study Prolific made (its answer `study`) as the experiment's; RecruiterError
    if the experiment has one already (two launches at once)."""
    currency = study.get("currency_code") or DEFAULT_CURRENCY
    try:
        with transaction.atomic():
            return ProlificStudy.objects.create(
                experiment=experiment_id,
                study_id=study["id"],
                workspace_id=workspace_id or "",
                project_id=project_id or "",
                status=study.get("status") or "",
                currency=str(currency)[:3].upper(),
                completion_codes=codes,
                external_study_url=study.get("external_study_url") or url,
            )
    except IntegrityError:
        raise RecruiterError(
            f"A Prolific study is already recorded for experiment {experiment_id}: recruitment was opened twice."
        ) from None


def study_status_set(row: ProlificStudy, status: str | None) -> None:
    """Remember the study's status as Prolific last reported it."""
    if status and row.status != status:
        row.status = status
        ProlificStudy.objects.filter(pk=row.pk).update(status=status)
