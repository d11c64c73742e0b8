"""Background tasks of the experiment runtime: running the experiment's bots.

Recruitment's tasks (settling submissions, recruiter events) are in recruitment/tasks.py.
"""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


# Acknowledged on receipt: a second run after a crash would be a second participant.
@shared_task(acks_late=False)
def run_bot(url: str, bot_type: str = "http") -> bool:
    """Run one of the experiment's bots against the server at `url` (its ad page).

    `bot_type` is the recruiter's reading of the configuration; when `bot_type` is not
    configured at all, the experiment's own kind of bot is run (`bot_classes.bot_kind`).
    """
    from experiments.bot_classes import bot_class, bot_kind, make_bot
    from experiments.config import DEFAULTS
    from experiments.runtime import active

    loaded = active()
    if loaded.config.source_of("bot_type") == DEFAULTS:
        bot_type = bot_kind(loaded.module, loaded.config)
    bot = make_bot(bot_class(loaded.module, bot_type), url, loaded.config)
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
