"""The end of a participant's work: submission and failure.

Each flow locks the participant's row, so the same submission arriving several times at
once is processed once. Calls to the recruiter (approval, bonus, more recruitment) are
sent as one background task when the transaction commits.
"""

import logging

from django.db import transaction
from django.utils import timezone

from core import pending
from core.background import send_after_commit
from core.fetch import by_pk
from core.models import Participant, ParticipantStatus
from experiments.binding import Caller
from experiments.errors import BadRequest
from experiments.services.lookups import as_id
from recruitment import tasks
from recruitment.events import SUBMITTABLE
from recruitment.models import SubmissionSettlement
from recruitment.payments.ledger import settlement_intend
from recruitment.recruiters import nickname_of, participant_recruiter

logger = logging.getLogger(__name__)

MINIMUM_BONUS = 0.01


def _lock_participant(participant_id, caller: Caller) -> Participant:
    if participant_id in (None, ""):
        raise BadRequest("participant_id is required.")
    participant = by_pk(Participant, as_id(participant_id), lock="no_key_update")
    if participant is None:
        raise BadRequest(f"There is no participant with id {participant_id}.", error_code="participant_not_found")
    caller.require(participant)
    return participant


def participant_submit(*, experiment, participant_id, caller: Caller) -> Participant:
    """The participant says they have finished (`/worker_complete`). Safe to repeat.

    Recruiters whose own site confirms submission (MTurk) only record that it started;
    for the others the submission is processed at once.
    """
    with transaction.atomic(), pending.saving():
        participant = _lock_participant(participant_id, caller)
        if participant.status not in SUBMITTABLE:
            return participant
        recruiter = participant_recruiter(experiment=experiment, participant=participant)
        if participant.end_time is None:
            recruiter.notify_completed(participant)
            participant.end_time = timezone.now()
        if recruiter.submitted_event() is None:
            participant.status = ParticipantStatus.RECRUITER_SUBMISSION_STARTED
            participant.save(update_fields=["status", "end_time"])
        else:
            submission_process(experiment, participant)
    return participant


def prolific_submission_confirm(*, experiment, participant_id, assignment_id, caller: Caller) -> Participant:
    """The Prolific exit page's button was pressed (`/prolific-submission-listener`): the
    participant is on their way to submit on Prolific, so their submission is processed (the
    checks run and what is owed is written on the ledger). The approval itself waits until
    Prolific shows the submission awaiting review. Safe to repeat: a participant already
    processed is left as they are."""
    with transaction.atomic(), pending.saving():
        participant = _lock_participant(participant_id, caller)
        if nickname_of(participant.recruiter_id) != "prolific":
            raise BadRequest(
                f"Participant {participant.pk} was not recruited through Prolific.", error_code="not_prolific"
            )
        if assignment_id and assignment_id != participant.assignment_id:
            raise BadRequest(
                f"assignmentId does not match participant {participant.pk}'s assignment.",
                error_code="assignment_mismatch",
            )
        if participant.status in SUBMITTABLE:
            submission_process(experiment, participant)
    return participant


def submission_process(experiment, participant) -> None:
    """Check, pay and approve a submitted participant (inside a transaction, row locked).

    Order: submitted → data check → attention check → bonus → approved →
    `submission_successful`. A participant who fails a check is replaced. The recruiter's
    part (approving the base pay, paying the bonus, recruiting next) is one background task,
    sent when the transaction commits.
    """
    participant.status = ParticipantStatus.SUBMITTED
    participant.end_time = participant.end_time or timezone.now()
    participant.base_pay = experiment.config.get("base_payment")
    participant.save(update_fields=["status", "end_time", "base_pay"])

    if not experiment.data_check(participant=participant):
        _fail_check(experiment, participant, ParticipantStatus.BAD_DATA, experiment.data_check_failed)
        return
    if not experiment.attention_check(participant=participant):
        _fail_check(experiment, participant, ParticipantStatus.DID_NOT_ATTEND, experiment.attention_check_failed)
        return

    bonus = experiment.bonus(participant=participant) or 0
    participant.bonus = float(bonus)
    participant.status = ParticipantStatus.APPROVED
    participant.save(update_fields=["bonus", "status"])
    experiment.submission_successful(participant=participant)
    bonus_reason = experiment.bonus_reason() if participant.bonus >= MINIMUM_BONUS else None
    _settle(experiment, participant, SubmissionSettlement.Recruit.MORE, bonus_reason)


def replaced_participant_pay(*, experiment, participant, nodes) -> None:
    """Pay a participant a bot replaced (inside the replacement's transaction), as the
    experiment's `pay_replaced_participants` says: their base payment and the bonus
    `replaced_bonus(participant, nodes)` gives for what they did, written on the payment ledger
    and paid by the settling task once the transaction commits. At most once, however often
    it runs: the ledger keeps one payout per assignment and kind. Nobody is recruited after it
    (the bot took their place)."""
    if not experiment.pay_replaced_participants:
        return
    participant.base_pay = experiment.config.get("base_payment")
    participant.bonus = float(experiment.replaced_bonus(participant, nodes) or 0)
    participant.save(update_fields=["base_pay", "bonus"])
    bonus_reason = experiment.bonus_reason() if participant.bonus >= MINIMUM_BONUS else None
    _settle(experiment, participant, SubmissionSettlement.Recruit.NONE, bonus_reason)


def _fail_check(experiment, participant, status, hook) -> None:
    participant.status = status
    participant.save(update_fields=["status"])
    hook(participant=participant)
    _settle(experiment, participant, SubmissionSettlement.Recruit.REPLACEMENT, None)


def _settle(experiment, participant, recruit: str, bonus_reason: str | None) -> None:
    # What is owed is written in this transaction; the task that pays it is sent once it commits.
    recruiter = participant_recruiter(experiment=experiment, participant=participant)
    settlement_intend(
        participant=participant,
        recruit=recruit,
        bonus_reason=bonus_reason,
        experiment_id=experiment.config.get("id", "") or "",
        currency=recruiter.currency,
    )
    send_after_commit(tasks.settle_submission.s(participant.pk))


def participant_worker_failed(*, experiment, participant_id, caller: Caller) -> Participant:
    """A participant (in practice a bot) reports that it could not take part.

    Its end time is recorded; a working bot is rejected, its nodes failed, and a
    replacement recruited.
    """
    with transaction.atomic(), pending.saving():
        participant = _lock_participant(participant_id, caller)
        participant.end_time = participant.end_time or timezone.now()
        fields = ["end_time"]
        if participant.status == ParticipantStatus.WORKING and nickname_of(participant.recruiter_id) == "bots":
            participant.status = ParticipantStatus.REJECTED
            fields.append("status")
            experiment.fail_participant(participant)
            send_after_commit(tasks.recruit_replacement.s(participant.pk))
        participant.save(update_fields=fields)
    return participant
