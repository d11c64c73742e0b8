"""The HIT an experiment recruits through, as this database records it (one per experiment id):
reads and writes of `MTurkHit`."""

from django.db import IntegrityError, transaction

from recruitment.base import RecruiterError
from recruitment.models import MTurkHit


def hit_for(config) -> MTurkHit | None:
    """The HIT recorded for the configured experiment (`id`), or None."""
    experiment_id = config.get("id", None) or ""
    if not experiment_id:
        return None
    return MTurkHit.objects.filter(experiment=experiment_id).first()


def hit_record(*, experiment_id: str, hit: dict, sandbox: bool, topic_arn: str) -> MTurkHit:
    """Record the HIT MTurk made (`hit`, as the client describes it) as the experiment's;
    RecruiterError if the experiment has one already (recruitment opened twice at once)."""
    try:
        with transaction.atomic():
            return MTurkHit.objects.create(
                experiment=experiment_id,
                hit_id=hit["id"],
                hit_type_id=hit["type_id"],
                sandbox=sandbox,
                topic_arn=topic_arn or "",
                worker_url=hit.get("worker_url") or "",
            )
    except IntegrityError:
        raise RecruiterError(
            f"A Mechanical Turk HIT is already recorded for experiment {experiment_id}: recruitment was opened twice."
        ) from None


def hit_topic_arn(experiment_id: str) -> str | None:
    """The SNS topic ARN recorded with the experiment's HIT, or None before it has one."""
    if not experiment_id:
        return None
    return MTurkHit.objects.filter(experiment=experiment_id).values_list("topic_arn", flat=True).first() or None
