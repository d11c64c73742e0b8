"""Notices to the experimenter: written once per key, sent by a background task after commit.

Whoever notices something (the error page, a clock check, the budget) calls
`experimenter_notify` inside its own transaction. The email is a row (`ExperimenterEmail`)
with a unique key, so the same notice written by two processes at once is one email; the
task that sends it is queued only when that transaction commits, so a participant's request
never waits for a mail server, and a mail server that fails never undoes or fails what
triggered it.
"""

import logging

from celery import shared_task
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.background import send_after_commit
from recruitment import host
from recruitment.models import ExperimenterEmail
from recruitment.notices.mail import EmailNotSent, NoRecipient, email_send
from recruitment.notices.messages import message_for

logger = logging.getLogger(__name__)

KEY_LENGTH = ExperimenterEmail._meta.get_field("key").max_length


def experimenter_notify(*, config, kind: str, key: str, facts: dict) -> ExperimenterEmail | None:
    """Write the email of `kind` (recruitment.notices.messages) from `facts` in the flavour
    `whimsical` asks for, unless one with `key` exists, and have it sent after the current
    transaction commits. The new row, or None when the key was used before."""
    subject, body = message_for(kind, whimsical=bool(config.get("whimsical")), facts=facts)
    try:
        with transaction.atomic():
            email = ExperimenterEmail.objects.create(key=key[:KEY_LENGTH], kind=kind, subject=subject, body=body)
    except IntegrityError:
        return None  # sent (or being sent) already: the unique key makes it once
    send_after_commit(experimenter_email_send.s(email.pk))
    return email


def email_deliver(*, email_id: int) -> str:
    """Send the stored email `email_id` once, with the running experiment's mail settings;
    its state afterwards. A failure is logged and recorded on the row, never raised."""
    # The claim is one UPDATE: of two tasks delivered for the same row, one sends.
    claimed = ExperimenterEmail.objects.filter(pk=email_id, state=ExperimenterEmail.State.WAITING).update(
        state=ExperimenterEmail.State.SENDING
    )
    if not claimed:
        return "claimed before"
    email = ExperimenterEmail.objects.get(pk=email_id)
    try:
        config = host.current().config()
        where = email_send(config, subject=email.subject, body=email.body)
    except NoRecipient as error:
        _finish(email_id, ExperimenterEmail.State.NOT_SENT, error=str(error))
        return ExperimenterEmail.State.NOT_SENT
    except EmailNotSent as error:
        logger.error("%s", error)
        _finish(email_id, ExperimenterEmail.State.NOT_SENT, error=str(error))
        return ExperimenterEmail.State.NOT_SENT
    except Exception as error:  # the runtime or configuration could not be read
        logger.error("The email %r was not sent: %s: %s", email.subject, type(error).__name__, error)
        _finish(email_id, ExperimenterEmail.State.NOT_SENT, error=f"{type(error).__name__}: {error}")
        return ExperimenterEmail.State.NOT_SENT
    logger.info("Email %r to the experimenter sent through %s.", email.subject, where)
    _finish(email_id, ExperimenterEmail.State.SENT, sent_at=timezone.now())
    return ExperimenterEmail.State.SENT


def _finish(email_id: int, state: str, **fields) -> None:
    ExperimenterEmail.objects.filter(pk=email_id).update(state=state, **fields)


# A task delivered again (its worker died mid-send) finds the row claimed and sends nothing:
# an email is sent at most once.
@shared_task
def experimenter_email_send(email_id: int) -> str:
    """Send the stored email `email_id` (see `email_deliver`)."""
    return email_deliver(email_id=email_id)
