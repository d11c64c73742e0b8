"""Background tasks of the experiment runtime: recruiter calls and notification processing.

Each takes ids and rebuilds what it needs from the database. Tasks are acknowledged when
they finish, so a worker that dies mid-task leaves the task to another, and each is safe to
run again; the one that pays reads what is owed from the payment ledger, which makes every
payout at most once. A bot's run is the exception: it is acknowledged on receipt (a second
run would be a second participant). Without Redis or a task folder tasks run in process as
soon as the transaction that enqueued them commits.
"""

import logging

from celery import shared_task
from django.db import transaction

from core.fetch import by_pk
from core.models import Participant
from recruitment import ledger
from recruitment.models import Payment, SubmissionSettlement

logger = logging.getLogger(__name__)


def _experiment():
    from experiments.runtime import experiment

    return experiment()


def _recruiter(experiment, participant):
    from experiments.services.recruiting import participant_recruiter

    return participant_recruiter(experiment=experiment, participant=participant)


# Acknowledged when it ends: a worker killed mid-task has the message delivered again, and
# the ledger (recruitment/ledger.py) makes the rerun pay and recruit only what was not done.
@shared_task(acks_late=True)
def settle_submission(participant_id: int) -> None:
    """The recruiter's part of a processed submission, as its ledger rows say, in Dallinger's
    order: approve the assignment (base pay), pay the bonus, then recruit (more participants,
    as the experiment decides, or one replacement).

    One task per submission, safe to run again. A step that fails is logged and the later
    steps still run; the task then fails with the first error.
    """
    participant = by_pk(Participant, participant_id)
    if participant is None:
        raise Participant.DoesNotExist(f"There is no participant with id {participant_id}.")
    experiment = _experiment()
    recruiter = _recruiter(experiment, participant)

    def approve(payment) -> None:
        recruiter.approve_hit(participant.assignment_id)

    def pay_bonus(payment):
        return recruiter.reward_bonus(participant, float(payment.amount), payment.reason)

    send = {Payment.Kind.BASE: approve, Payment.Kind.BONUS: pay_bonus}
    errors = []
    for payment in ledger.payments_due(participant=participant, kinds=send):
        try:
            ledger.payment_send(payment_id=payment.pk, send=send[payment.kind], external=recruiter.pays_outside)
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
    """Periodic (celery beat): mark payouts a crash cut short as `unknown`, and settle again
    the submissions whose settling task was lost. Returns how many were sent again."""
    ledger.payment_reconcile_stale()
    overdue = ledger.settlements_overdue()
    for participant_id in overdue:
        settle_submission.delay(participant_id)
    if overdue:
        logger.warning("Settling %s submission(s) again: their task was lost.", len(overdue))
    return len(overdue)


@shared_task
def recruit_replacement(participant_id: int) -> None:
    """Recruit one participant to replace one who could not take part."""
    participant = Participant.objects.get(pk=participant_id)
    experiment = _experiment()
    _recruiter(experiment, participant).recruit(n=1)


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
def process_notification(notification_id: int) -> None:
    """Apply a recruiter notification to its participant."""
    from experiments.services.submission import notification_process

    notification_process(experiment=_experiment(), notification_id=notification_id)
