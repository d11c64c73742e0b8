"""`manage.py summary`: participants by status, places recruited, the Prolific study, the payment ledger."""

from recruitment.management.base import RecruitmentCommand
from recruitment.models import Payment
from recruitment.payments import budget, selectors

#: What the experimenter should do about a payout in each state that needs them.
WHAT_TO_DO = {
    Payment.State.UNKNOWN: (
        "it may have been paid: look it up on the recruiter's site (Prolific: the study's submissions and bonus "
        "history). If it was not paid, pay it again with a new --key (`prolific bonus`, `compensate`) or approve "
        "the submission in the Prolific web app."
    ),
    Payment.State.FAILED: (
        "it was not paid: fix the cause shown, then pay it again with a new --key (`prolific bonus`, "
        "`compensate`) or approve the submission in the Prolific web app."
    ),
}


class Command(RecruitmentCommand):
    help = (
        "Summarise the running experiment: participants by status and the yield, places recruited by each "
        "recruiter, the Prolific study, the payment ledger by kind and state, the budget, and the payouts that "
        "need the experimenter (unknown or failed) with what to do about them."
    )

    def run(self, *args, **options):
        config = self.experiment().config
        self._participants()
        self._recruitment()
        experiment_id = str(config.get("id", "") or "")
        study = selectors.prolific_study_of(experiment_id) if experiment_id else None
        self._study(study)
        self._ledger()
        self._budget(config, study)
        self._attention()

    def _participants(self):
        counts = selectors.participant_status_counts()
        self.stdout.write("Participants")
        if not counts:
            self.stdout.write("  none yet")
        else:
            self.table(("status", "count"), list(counts.items()))
            finished = sum(count for status, count in counts.items() if status != "working")
            if finished:
                self.stdout.write(f"Yield: {counts.get('approved', 0) / finished:.2%}")

    def _recruitment(self):
        counts = selectors.recruitment_counts()
        self.stdout.write("\nPlaces recruited")
        if not counts:
            self.stdout.write("  none yet")
        else:
            self.table(("recruiter", "places"), list(counts.items()))

    def _study(self, study):
        if study is not None:
            self.stdout.write(
                f"\nProlific study {study.study_id}: {study.status or 'status not known yet'} "
                f"(as last reported; `manage.py prolific studies` asks Prolific)"
            )

    def _ledger(self):
        totals = selectors.ledger_totals()
        self.stdout.write("\nPayment ledger")
        if not totals:
            self.stdout.write("  no payouts yet")
            return
        rows = [[row["kind"], row["state"], row["count"], f"{row['total']:.2f} {row['currency']}"] for row in totals]
        self.table(("kind", "state", "payouts", "total"), rows)

    def _budget(self, config, study):
        status = budget.budget_status(config)
        # Before the first payout the ledger names no currency; the study's is the one it will use.
        currency = status.get("currency") or (study.currency if study is not None else "")
        cap = status.get("cap")
        line = f"\nBudget: {status['committed']:.2f} {currency} committed"
        if cap:
            line += f" of {cap:.2f} ({status['fraction']:.0%})"
        else:
            line += " (no budget cap set)"
        self.stdout.write(line)
        if status.get("refused_payouts"):
            self.stdout.write(f"  {status['refused_payouts']} payout(s) refused by a budget cap")

    def _attention(self):
        payments = selectors.payouts_needing_attention()
        if not payments:
            return
        self.stdout.write("\nPayouts that need you")
        for payment in payments:
            who = payment.worker_id or (f"participant {payment.participant_id}" if payment.participant_id else "-")
            self.stdout.write(
                f"  {payment.state}: {payment.kind} of {payment.amount} {payment.currency} to {who} "
                f"(assignment {payment.assignment_id or '-'}, ledger key {payment.key})"
            )
            if payment.error:
                self.stdout.write(f"    error: {payment.error}")
            self.stdout.write(f"    what to do: {WHAT_TO_DO[payment.state]}")
