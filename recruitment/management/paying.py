"""Making one payout from a command: checked against the ledger, confirmed, then sent once."""

from django.core.management.base import CommandError

from recruitment.management.prolific_access import prolific_recruiter, study_id_of
from recruitment.models import Payment
from recruitment.payments import payouts

#: What to do about a payout whose sending was cut short (also in docs/recruitment.md).
CHECK_ON_PLATFORM = (
    "check on the recruiter's site (Prolific: the study's submissions and bonus history) whether it was paid"
)


def payout_make(
    command, *, key: str, description: str, intend, recruiter, participant, dry_run: bool, yes: bool, warning: str = ""
) -> Payment | None:
    """Pay `description` once under ledger `key`: `intend()` writes the row, the ledger sends it.

    A key already paid says so and does nothing (exit 0); one that failed, was refused or may
    be on its way is reported as an error, never sent again. `--dry-run` prints what would be
    done; without `--yes` the experimenter confirms first. Returns the row, or None if nothing
    was sent.
    """
    existing = payouts.payout_find(key)
    if existing is not None and existing.state != Payment.State.INTENDED:
        return _report_earlier(command, existing, description)
    if dry_run:
        command.stdout.write(f"Dry run: would pay {description} (ledger key {key}). Nothing was done.")
        return None
    question = f"Pay {description}?" + (f" {warning}" if warning else "")
    if not command.confirm(question, yes=yes):
        return None
    payment, _ = intend()
    result = payouts.payout_send(payment=payment, recruiter=recruiter, participant=participant)
    outcome = payouts.PayoutOutcome
    if result.outcome == outcome.NOT_READY:
        raise CommandError(
            f"Not paid yet: {result.error}. The payout stays on the ledger; run the command again later."
        )
    if result.outcome == outcome.IN_DOUBT and result.error:
        raise CommandError(
            f"The payout may or may not have been made ({result.error}). It is left `{result.payment.state}` on the "
            f"ledger and will not be paid again automatically: {CHECK_ON_PLATFORM}."
        )
    if result.outcome == outcome.FAILED:
        raise CommandError(f"Not paid: {result.error}")
    if result.outcome != outcome.SENT:
        return _report_earlier(command, result.payment, description)
    payment = result.payment
    external = f" (platform id {payment.external_id})" if payment.external_id else ""
    command.stdout.write(f"Paid {description}{external}; ledger key {key}.")
    return payment


def _report_earlier(command, payment: Payment, description: str):
    state = payment.state
    if state == Payment.State.SENT:
        when = f" on {payment.sent_at:%Y-%m-%d %H:%M} UTC" if payment.sent_at else ""
        command.stdout.write(
            f"Already paid{when}: {description} (ledger key {payment.key}). Nothing was done; "
            "pass a new --key to pay again."
        )
        return None
    if state in (Payment.State.SENDING, Payment.State.UNKNOWN):
        raise CommandError(
            f"This payout (ledger key {payment.key}) is {state}: it may have been made. It is never sent again "
            f"automatically: {CHECK_ON_PLATFORM}."
        )
    raise CommandError(
        f"This payout (ledger key {payment.key}) was {state} earlier: {payment.error or 'no reason recorded'}. "
        "Nothing was done; pass a new --key to try again."
    )


def prolific_payout(
    command, *, kind: str, worker_id: str, amount_text, reason: str, key: str | None, dry_run: bool, yes: bool
):
    """A bonus or compensation to a Prolific participant of the experiment's study (Prolific pays
    both as a bonus, to someone who took part in that study), once per ledger key."""
    worker_id = (worker_id or "").strip()
    if not worker_id:
        raise CommandError("Name the Prolific participant (their Prolific id).")
    try:
        amount = payouts.amount_parse(amount_text)
    except payouts.PayoutInputError as error:
        raise CommandError(str(error)) from error
    experiment = command.experiment()
    recruiter = prolific_recruiter(experiment.config, command.base_url())
    study_id = study_id_of(recruiter)
    try:
        payout_key = payouts.command_payout_key(
            recruiter="prolific",
            kind=kind,
            study_id=study_id,
            worker_id=worker_id,
            amount=amount,
            reason=reason,
            key=key,
        )
    except payouts.PayoutInputError as error:
        raise CommandError(str(error)) from error
    currency = recruiter.currency
    participant = payouts.participant_of_worker(recruiter="prolific", worker_id=worker_id)
    noun = "a bonus" if kind == Payment.Kind.BONUS else "a compensation"
    description = (
        f"{noun} of {amount} {currency} to Prolific participant {worker_id} in study {study_id} (reason: {reason})"
    )

    def intend():
        return payouts.payout_intend(
            key=payout_key,
            kind=kind,
            recruiter="prolific",
            worker_id=worker_id,
            participant=participant,
            amount=amount,
            currency=currency,
            reason=reason,
            experiment_id=str(experiment.config.get("id", "") or ""),
        )

    return payout_make(
        command,
        key=payout_key,
        description=description,
        intend=intend,
        recruiter=recruiter,
        participant=participant
        or payouts.Assignment("prolific", _submission_of(recruiter, study_id, worker_id), worker_id),
        dry_run=dry_run,
        yes=yes,
        warning="Prolific adds its fee, and the money cannot be taken back.",
    )


def _submission_of(recruiter, study_id: str, worker_id: str) -> str:
    """The id of `worker_id`'s submission in the study (Prolific pays bonuses only to those who
    took part); a readable error, before anything is written, when there is none."""
    for submission in recruiter.client.submissions(study_id):
        if submission.get("participant_id") == worker_id:
            return str(submission["id"])
    raise CommandError(f"Prolific participant {worker_id} has no submission in study {study_id}: nothing was paid.")
