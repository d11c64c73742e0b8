"""Background tasks of the experiment runtime: running the experiment's bots.

Recruitment's tasks (settling submissions, recruiter events) are in recruitment/tasks.py.
"""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


# Acknowledged on receipt: a second run after a crash would be a second participant.
@shared_task(acks_late=False)
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
def realtime_sweep() -> dict:
    """Act on participants gone past their grace period and form groups whose wait ran out."""
    from experiments import runtime
    from experiments.services.groups import groups_form
    from experiments.services.presence import presence_sweep

    experiment = runtime.experiment()
    dropped = presence_sweep(experiment=experiment)
    formed = groups_form(experiment=experiment)
    return {"dropped": dropped, "groups": [network.pk for network in formed]}


# Acknowledged on receipt, as Dallinger's queue runs each message once.
@shared_task(acks_late=False)
def websocket_message(raw_message: str, receive_time: str) -> None:
    """Run the experiment's `receive_message` for a frame from its channel or the control channel."""
    from datetime import datetime

    from experiments.realtime import messages
    from experiments.runtime import experiment

    messages.deliver(experiment(), messages.parse(raw_message), datetime.fromisoformat(receive_time))
