"""The waiting room's channel: the quorum state is published whenever who counts changes.

One receiver on Participant saves covers every path (creation, over-recruitment, a failure, a
return or abandonment from recruitment's events), so no service has to remember to publish.
"""

import logging

from django.db import transaction
from django.db.models.signals import post_init, post_save

from core.models import Participant
from core.realtime import QUORUM_CHANNEL, publish

logger = logging.getLogger(__name__)


def _counted_fields(participant) -> tuple:
    # From __dict__: reading a deferred field here would cost a query per loaded row.
    return participant.__dict__.get("status"), participant.__dict__.get("failed")


def _remember(sender, instance, **kwargs):
    instance._quorum_fields = _counted_fields(instance)


def _saved(sender, instance, created, **kwargs):
    before = getattr(instance, "_quorum_fields", None)
    now = _counted_fields(instance)
    instance._quorum_fields = now
    if created or before != now:
        transaction.on_commit(publish_quorum)


def current_state() -> dict | None:
    """The quorum state now (None without a quorum, or when it cannot be read)."""
    from experiments.runtime import experiment_as_configured
    from experiments.services.quorum import quorum_state

    try:
        return quorum_state(experiment=experiment_as_configured())
    except Exception:  # the change is committed: a failed notice must not fail its request
        logger.exception("Could not read the quorum state.")
        return None


def publish_quorum() -> None:
    """Publish the current quorum state on `quorum` (nothing for an experiment without one)."""
    state = current_state()
    if state is not None:
        publish(QUORUM_CHANNEL, state)


def connect() -> None:
    """Watch participants' saves (called once, when the app is ready)."""
    post_init.connect(_remember, sender=Participant, dispatch_uid="realtime.quorum.init")
    post_save.connect(_saved, sender=Participant, dispatch_uid="realtime.quorum.save")
