"""Compensating a Mechanical Turk worker from a command: checked against the ledger, confirmed,
then made once (recruitment/mturk/compensation.py), and the HIT made for it printed."""

from django.core.management.base import CommandError

from recruitment.management.mturk_access import HIT_HEADERS, hit_rows, mturk_recruiter, site_name
from recruitment.management.paying import payout_make
from recruitment.models import Payment
from recruitment.mturk.compensation import qualification_name
from recruitment.payments import payouts


def mturk_compensation(
    command, *, worker_id: str, amount_text, reason: str, key: str | None, email: str | None, sandbox: bool,
    dry_run: bool, yes: bool,
):  # fmt: skip
    """Compensate `worker_id` with a HIT only they can take, once per ledger key (the site,
    worker, amount and reason, or `key`). With `email`, MTurk tells the worker of their
    qualification and the message to send them is printed."""
    worker_id = (worker_id or "").strip()
    if not worker_id:
        raise CommandError("Name the MTurk worker (--worker_id).")
    try:
        amount = payouts.amount_parse(amount_text)
        payout_key = payouts.command_payout_key(
            recruiter="mturk",
            kind=Payment.Kind.COMPENSATION,
            study_id="sandbox" if sandbox else "live",
            worker_id=worker_id,
            amount=amount,
            reason=reason,
            key=key,
        )
    except payouts.PayoutInputError as error:
        raise CommandError(str(error)) from error
    recruiter = mturk_recruiter(command, sandbox=sandbox)
    recruiter.compensation_notify = bool(email)
    experiment_id = str(command.experiment().config.get("id", "") or "")
    participant = payouts.participant_of_worker(recruiter="mturk", worker_id=worker_id)

    def intend():
        return payouts.payout_intend(
            key=payout_key,
            kind=Payment.Kind.COMPENSATION,
            recruiter="mturk",
            worker_id=worker_id,
            participant=participant,
            amount=amount,
            currency="USD",
            reason=reason,
            experiment_id=experiment_id,
        )

    payment = payout_make(
        command,
        key=payout_key,
        description=f"a compensation of {amount} USD to MTurk worker {worker_id} on {site_name(sandbox)} (reason: {reason})",
        intend=intend,
        recruiter=recruiter,
        participant=payouts.Assignment("mturk", "", worker_id),
        dry_run=dry_run,
        yes=yes,
        warning="A qualification and a HIT only this worker can take are created; MTurk pays the reward, and its "
        "fee, when they submit it.",
    )
    if payment is None or not payment.external_id:
        return
    hit = recruiter.client.hit_get(payment.external_id)
    command.table(HIT_HEADERS, hit_rows([hit]))
    command.stdout.write(f"Qualification: {qualification_name(payout_key)} ({payment.setup_id}).")
    if email:
        command.stdout.write(
            f"Send this to {email}:\nDallinger has created a HIT for you to be compensated: {hit['title']}, reward "
            f"${amount}. Find it at {hit['worker_url']} and submit it within 3 days."
        )
