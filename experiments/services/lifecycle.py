"""Launching the experiment and reporting its progress."""

import logging

from django.db import transaction
from django.db.models import Count, Q

from core import pending
from core.locks import lock_keys
from core.models import Network, Participant, ParticipantStatus, Recruitment
from experiments.errors import NotFound
from recruitment.base import LAUNCH_RECORD

logger = logging.getLogger(__name__)


#: The `recruiter_id` of the recruitment row that records the launch.
LAUNCH = LAUNCH_RECORD


class LaunchError(Exception):
    """The experiment could not be launched (set-up or recruitment failed)."""


def experiment_launch(*, experiment) -> str:
    """Create the networks, open recruitment for `initial_recruitment_size`, and return the
    recruiter's message. Launching again does not recruit again."""
    try:
        with transaction.atomic(), pending.saving():
            lock_keys("experiment-launch", "experiment-setup")
            experiment.setup()
            if experiment_launched():
                return "The experiment was already launched; recruitment is open."
            experiment.log("Launching experiment...", "-----")
            details = experiment.recruiter.open_recruitment(n=experiment.initial_recruitment_size) or {}
            # The launch itself is recorded apart from the participants recruiters request.
            Recruitment(recruiter_id=LAUNCH, details={"recruiter": experiment.recruiter.nickname}).save()
            experiment.on_launch()
    except Exception as error:
        logger.exception("Launching the experiment failed.")
        raise LaunchError(f"Failed to launch the experiment: {error}") from error
    items = "\n".join(details.get("items") or [])
    return f"Initial recruitment list:\n{items}\nAdditional details:\n{details.get('message', '')}"


def participant_status_counts() -> list[tuple[str, int]]:
    """`[(status, count), ...]` of participants, sorted by status."""
    counts = Participant.objects.values("status").annotate(count=Count("id")).order_by("status")
    return [(row["status"], row["count"]) for row in counts]


def experiment_launched() -> bool:
    """Whether the experiment has been launched (recruitment opened once)."""
    return Recruitment.objects.filter(recruiter_id=LAUNCH).exists()


def recruitment_close(*, experiment) -> str:
    """Ask the experiment's recruiter to stop recruiting; what it says it did.

    RecruiterError (or the recruiter's own error) when it cannot; nothing in the record changes.
    """
    recruiter = experiment.recruiter
    said = recruiter.close_recruitment()
    return said if isinstance(said, str) and said else f"The {recruiter.nickname} recruiter closed recruitment."


def experiment_summary(*, experiment) -> dict:
    """Participant counts by status, and whether the experiment is complete.

    Complete means the experiment's `is_complete()` says so, or, when it has no opinion,
    every network is full and nobody is still working.
    """
    summary = experiment.log_summary()
    completed = experiment.is_complete()
    unfilled = list(
        Network.objects.filter(full=False).annotate(
            live_nodes=Count("all_nodes", filter=Q(all_nodes__failed=False))
        )
    )
    working = Participant.objects.filter(status=ParticipantStatus.WORKING).count()
    if completed is None:
        completed = not unfilled and working == 0
    return {
        "summary": [list(row) for row in summary],
        "completed": bool(completed),
        "unfilled_networks": len(unfilled),
        "nodes_remaining": sum(max(network.max_size - network.live_nodes, 0) for network in unfilled),
        "required_nodes": sum(network.max_size for network in unfilled),
    }


def experiment_property(*, experiment, name: str):
    """A value of the experiment's `public_properties`; NotFound if it is not public."""
    properties = experiment.public_properties or {}
    if name not in properties:
        raise NotFound(f"The experiment has no public property {name!r}.")
    return properties[name]
