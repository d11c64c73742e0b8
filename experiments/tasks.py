"""Background tasks of the experiment runtime: recruiter calls and notification processing.

Each takes ids, rebuilds what it needs from the database, and is safe to run twice.
Without Redis they run in process as soon as the transaction that enqueued them commits.
"""

import logging

from celery import shared_task

from core.models import Participant

logger = logging.getLogger(__name__)


def _experiment():
    from experiments.runtime import experiment

    return experiment()


def _recruiter(experiment, participant):
    from experiments.services.recruiting import participant_recruiter

    return participant_recruiter(experiment=experiment, participant=participant)


@shared_task
def approve_assignment(participant_id: int) -> None:
    """Tell the participant's recruiter to approve the assignment (base pay)."""
    participant = Participant.objects.get(pk=participant_id)
    experiment = _experiment()
    _recruiter(experiment, participant).approve_hit(participant.assignment_id)


@shared_task
def pay_bonus(participant_id: int, reason: str) -> None:
    """Pay the participant the bonus recorded on their row."""
    participant = Participant.objects.get(pk=participant_id)
    experiment = _experiment()
    _recruiter(experiment, participant).reward_bonus(participant, participant.bonus, reason)


@shared_task
def recruit_replacement(participant_id: int) -> None:
    """Recruit one participant to replace one whose work was not accepted."""
    participant = Participant.objects.get(pk=participant_id)
    experiment = _experiment()
    _recruiter(experiment, participant).recruit(n=1)


@shared_task
def recruit_after_submission() -> None:
    """Let the experiment decide whether to recruit more participants (its `recruit()` hook)."""
    _experiment().recruit()


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
