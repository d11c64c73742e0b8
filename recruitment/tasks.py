"""Background tasks of recruitment: settling submissions, recruiter and webhook events, replacements,
and the clock's periodic checks (their work is in recruitment/clock.py).

Each takes ids and rebuilds what it needs from the database; the running experiment comes
from the runtime recruitment was given (`recruitment.host`). Tasks are acknowledged when they
finish, so a worker that dies mid-task leaves the task to another, and each is safe to run
again; the one that pays reads what is owed from the payment ledger, which makes every payout
at most once. Without Redis or a task folder tasks run in process as soon as the transaction
that enqueued them commits.
"""

import logging

from celery import shared_task
from django.db import transaction

from core.fetch import by_pk
from core.models import Participant
from recruitment import clock, events, host
from recruitment.models import Payment, SubmissionSettlement
from recruitment.mturk import listener, sns
from recruitment.notices import outbox  # noqa: F401  (its task, experimenter_email_send, is registered here)
from recruitment.payments import ledger
from recruitment.prolific import webhooks
from recruitment.recruiters import participant_recruiter

logger = logging.getLogger(__name__)


# Acknowledged when it ends: a worker killed mid-task has the message delivered again, and
# the ledger (recruitment/payments/ledger.py) makes the rerun pay and recruit only what was not done.
@shared_task(acks_late=True)
def settle_submission(participant_id: int) -> None:
    """The recruiter's part of a processed submission, as its ledger rows say, in Dallinger's
    order: approve the assignment (base pay), pay the bonus, then recruit (more participants,
    as the experiment decides, or one replacement).

    One task per submission, safe to run again. A payout the platform is not ready for stays
    owed, for a later run. A step that fails is logged and the later steps still run; the task
    then fails with the first error.
    """
    participant = by_pk(Participant, participant_id)
    if participant is None:
        raise Participant.DoesNotExist(f"There is no participant with id {participant_id}.")
    experiment = host.current().experiment()
    recruiter = participant_recruiter(experiment=experiment, participant=participant)
    errors = []
    for payment in ledger.payments_due(participant=participant, kinds=(Payment.Kind.BASE, Payment.Kind.BONUS)):
        try:
            ledger.payment_send(payment_id=payment.pk, recruiter=recruiter, participant=participant)
        except ledger.PaymentNotReady as error:
            # Not an error: the platform has not caught up (a Prolific participant still on their
            # way back to Prolific). Its webhook, the status check or the sweep sends it later.
            logger.info("The %s for participant %s waits: %s", payment.kind, participant_id, error)
        except Exception as error:
            logger.exception("The %s for participant %s's submission failed.", payment.kind, participant_id)
            errors.append(error)
    try:
        with transaction.atomic():
            recruit = ledger.settlement_claim_recruitment(participant=participant)
            if recruit == SubmissionSettlement.Recruit.MORE:
                experiment.recruit()
            elif recruit == SubmissionSettlement.Recruit.REPLACEMENT:
                recruiter.recruit(n=1)
    except Exception as error:
        logger.exception("The recruitment after participant %s's submission failed.", participant_id)
        errors.append(error)
    if errors:
        raise errors[0]


@shared_task
def settle_overdue() -> int:
    """Periodic (celery beat): reconcile payouts a crash cut short, and settle again the
    submissions, and apply again the webhook events, whose task was lost. Returns how many
    tasks were sent again."""
    experiment = host.current().experiment()
    ledger.payment_reconcile_stale(
        recruiter_for=lambda payment: _recruiter_of_payment(experiment, payment),
    )
    overdue = ledger.settlements_overdue()
    for participant_id in overdue:
        settle_submission.delay(participant_id)
    if overdue:
        logger.warning("Settling %s submission(s) again: their task was lost.", len(overdue))
    waiting = webhooks.events_overdue()
    for event_id in waiting:
        prolific_event_apply.delay(event_id)
    if waiting:
        logger.warning("Applying %s webhook event(s) again: their task was lost.", len(waiting))
    return len(overdue) + len(waiting)


def _recruiter_of_payment(experiment, payment):
    participant = by_pk(Participant, payment.participant_id) if payment.participant_id else None
    if participant is None:
        return None
    return participant_recruiter(experiment=experiment, participant=participant)


@shared_task
def recruit_replacement(participant_id: int) -> None:
    """Recruit one participant to replace one who could not take part."""
    participant = Participant.objects.get(pk=participant_id)
    experiment = host.current().experiment()
    participant_recruiter(experiment=experiment, participant=participant).recruit(n=1)


@shared_task
def process_notification(notification_id: int) -> None:
    """Apply a recruiter event to its participant."""
    events.event_process(notification_id=notification_id)


# SNS waits for the confirmation for days, so a failed GET is tried again a few times, further
# apart each time; SNS also repeats the request, which sends this task again.
@shared_task(autoretry_for=(sns.FetchFailed,), max_retries=4, retry_backoff=30)
def mturk_subscription_confirm(sns_message_id: int) -> bool:
    """Confirm the SNS subscription a kept SubscriptionConfirmation asked for, unless it is
    confirmed already (two deliveries racing may both confirm, which SNS takes as one)."""
    return listener.subscription_confirm(sns_message_id=sns_message_id)


# Acknowledged when it ends: a worker killed mid-task has it delivered again, and an event
# applied (or failed) before is left alone, so the rerun changes nothing twice.
@shared_task(acks_late=True)
def prolific_event_apply(webhook_event_id: int) -> str:
    """Apply a recorded Prolific webhook event to its submission or study; its outcome."""
    return webhooks.event_apply(webhook_event_id)


@shared_task
def recruiter_status_check() -> dict | None:
    """Periodic (celery beat): bring participants in step with their recruiters' platforms
    (recruitment.clock.status_poll); what was done, or None if no recruiter was polled."""
    return clock.status_poll(experiment=host.current().experiment())


@shared_task
def participants_overdue_check() -> dict | None:
    """Periodic (celery beat), with `clock_on`: participants working past the duration
    (recruitment.clock.overdue_check); what it found, or None if it did not run."""
    return clock.overdue_check(experiment=host.current().experiment())


@shared_task
def recruitment_idle_check() -> bool:
    """Periodic (celery beat): email the experimenter once per idle period when open places
    find nobody (recruitment.clock.idle_check); whether an email was written."""
    return clock.idle_check(experiment=host.current().experiment()) is not None
