"""Background tasks sent once the data they act on is committed."""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def send_after_commit(signature) -> None:
    """Send the Celery task `signature` when the current transaction commits.

    By then the request's data is saved, so the request has succeeded: if the task cannot
    be sent (the broker is down) or, with tasks run in process, fails, that is logged with
    the task's name and arguments instead of turning the answer into a server error.
    """

    def send():
        try:
            signature.apply_async()
        except Exception:
            logger.exception(
                "Background task %s%r failed after its transaction committed.",
                signature.task,
                tuple(signature.args),
            )

    transaction.on_commit(send)
