"""Background tasks of the experiment runtime: recruiter calls and notification processing.

Each takes ids and rebuilds what it needs from the database. Tasks are acknowledged when
they finish (a worker that dies mid-task leaves the task to another), except the one that
pays: it runs at most once. Without Redis or a task folder they run in process as soon as
the transaction that enqueued them commits.
"""

import logging

from celery import shared_task

from core.fetch import by_pk
from core.models import Participant

logger = logging.getLogger(__name__)


def _experiment():
    from experiments.runtime import experiment

    return experiment()


def _recruiter(experiment, participant):
    from experiments.services.recruiting import participant_recruiter

    return participant_recruiter(experiment=experiment, participant=participant)


#: What `settle_submission` recruits afterwards: the experiment decides (its `recruit()`
#: hook), or one participant replaces the submitter whose work was not accepted.
RECRUIT_MORE = "more"
RECRUIT_REPLACEMENT = "replacement"


# Acknowledged on receipt: a payment is never repeated. A worker killed mid-task loses the
# rest of it; Celery logs that, and the experimenter pays on the recruiter's own site.
@shared_task(acks_late=False)
def settle_submission(participant_id: int, bonus_reason: str | None, recruit: str) -> None:
    """The recruiter's part of a processed submission, in Dallinger's order: approve the
    assignment (base pay), pay the bonus recorded on the participant's row when
    `bonus_reason` is given, then recruit (RECRUIT_MORE or RECRUIT_REPLACEMENT).

    One task per submission. A step that fails is logged and the later steps still run;
    the task then fails with the first error.
    """
    participant = by_pk(Participant, participant_id)
    if participant is None:
        raise Participant.DoesNotExist(f"There is no participant with id {participant_id}.")
    experiment = _experiment()
    recruiter = _recruiter(experiment, participant)
    steps = [("approval", lambda: recruiter.approve_hit(participant.assignment_id))]
    if bonus_reason is not None:
        steps.append(("bonus", lambda: recruiter.reward_bonus(participant, participant.bonus, bonus_reason)))
    if recruit == RECRUIT_MORE:
        steps.append(("recruitment", experiment.recruit))
    elif recruit == RECRUIT_REPLACEMENT:
        steps.append(("replacement", lambda: recruiter.recruit(n=1)))
    errors = []
    for name, step in steps:
        try:
            step()
        except Exception as error:
            logger.exception("The %s after participant %s's submission failed.", name, participant_id)
            errors.append(error)
    if errors:
        raise errors[0]


@shared_task
def recruit_replacement(participant_id: int) -> None:
    """Recruit one participant to replace one who could not take part."""
    participant = Participant.objects.get(pk=participant_id)
    experiment = _experiment()
    _recruiter(experiment, participant).recruit(n=1)


@shared_task
def run_bot(url: str, bot_type: str = "http") -> bool:
    """Run one of the experiment's bots against the server at `url` (its ad page)."""
    from experiments.bot_classes import bot_class
    from experiments.runtime import active

    loaded = active()
    bot_class_ = bot_class(loaded.module, bot_type)
    bot = bot_class_(url, config=loaded.config) if bot_type == "browser" else bot_class_(url)
    succeeded = bot.run_experiment()
    logger.info("Bot %s %s.", bot.participant_id or bot.worker_id, "completed" if succeeded else "failed")
    return succeeded


@shared_task
def process_notification(notification_id: int) -> None:
    """Apply a recruiter notification to its participant."""
    from experiments.services.submission import notification_process

    notification_process(experiment=_experiment(), notification_id=notification_id)
