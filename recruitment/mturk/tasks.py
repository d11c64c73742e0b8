"""Background work of the Mechanical Turk recruiter: qualifications given after completion."""

from celery import shared_task

from recruitment import host
from recruitment.mturk.client import client_from_config


@shared_task
def qualifications_assign(worker_id: str, qualifications: list[dict], sandbox: bool) -> dict:
    """Raise the worker's score by one on each qualification (`{"name", "description"}`),
    creating the qualification types that do not exist yet; the new scores by name."""
    client = client_from_config(host.current().experiment().config, sandbox=sandbox)
    scores = {}
    for qualification in qualifications:
        found = client.qualification_type_ensure(name=qualification["name"], description=qualification["description"])
        scores[qualification["name"]] = client.qualification_increment(
            qualification_id=found["id"], worker_id=worker_id
        )
    return scores
