"""`manage.py prolific`: the experiment's Prolific study: studies, submissions, approvals, bonuses, webhooks."""

from decimal import Decimal

from django.core.management.base import CommandError

from recruitment.management.base import RecruitmentCommand
from recruitment.management.paying import payout_make, prolific_payout
from recruitment.management.prolific_access import (
    STUDY_HEADERS,
    project_studies,
    prolific_recruiter,
    study_id_of,
    study_rows,
)
from recruitment.models import Payment
from recruitment.payments import payouts
from recruitment.prolific.subscriptions import (
    subscriptions_list,
    subscriptions_remove,
    subscriptions_setup,
    webhook_url,
)

SUBMISSION_HEADERS = ("id", "participant", "status", "started at", "time taken (s)", "code")


class Command(RecruitmentCommand):
    help = (
        "Work with the experiment's Prolific study: list studies and submissions, approve submissions and pay "
        "bonuses (once each, through the payment ledger), and set up, list or remove webhook subscriptions. "
        "Run `manage.py prolific <subcommand> --help` for each."
    )

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")

        subcommands.add_parser("studies", help="list the studies of the configured project")

        submissions = subcommands.add_parser("submissions", help="list the submissions of the study")
        submissions.add_argument("--status", help="only submissions with this status (e.g. AWAITING_REVIEW)")
        submissions.add_argument("--study", help="the study id (default: the experiment's study)")

        approve = subcommands.add_parser(
            "approve", help="approve submissions (Prolific pays each its reward), each once through the ledger"
        )
        approve.add_argument("submission_ids", nargs="+", metavar="SUBMISSION_ID", help="Prolific submission ids")
        self.add_dry_run_option(approve)
        self.add_yes_option(approve)

        bonus = subcommands.add_parser("bonus", help="pay a participant a bonus, once per key, through the ledger")
        bonus.add_argument("--participant", required=True, metavar="PROLIFIC_PID", help="the participant's Prolific id")
        bonus.add_argument("--amount", required=True, help="the bonus, in the study's currency (e.g. 1.50)")
        bonus.add_argument("--reason", required=True, help="why the bonus is paid (kept on the ledger)")
        bonus.add_argument("--key", help="a new key to pay a second bonus with the same amount and reason")
        self.add_dry_run_option(bonus)
        self.add_yes_option(bonus)

        webhooks = subcommands.add_parser("webhooks", help="set up, list or remove Prolific's webhook subscriptions")
        action = webhooks.add_mutually_exclusive_group(required=True)
        action.add_argument(
            "--setup",
            action="store_true",
            help="create the signing secret, subscribe and confirm (prints the secret once)",
        )
        action.add_argument(
            "--list", dest="list_subscriptions", action="store_true", help="list the workspace's subscriptions"
        )
        action.add_argument(
            "--remove",
            nargs="?",
            const="",
            metavar="ID",
            help="remove subscription ID, or (no ID) every subscription sending to --url",
        )
        webhooks.add_argument(
            "--url", help="where Prolific sends events (default: DALLINGER_BASE_URL/prolific-webhook)"
        )
        self.add_yes_option(webhooks)

    def run(self, *args, subcommand, **options):
        self.prolific = prolific_recruiter(self.experiment().config, self.base_url())
        getattr(self, f"run_{subcommand}")(**options)

    # Listings

    def run_studies(self, **options):
        studies = project_studies(self.prolific)
        if not studies:
            self.stdout.write("No studies found.")
            return
        self.table(STUDY_HEADERS, study_rows(studies))

    def run_submissions(self, *, status=None, study=None, **options):
        study_id = study_id_of(self.prolific, study)
        found = self.prolific.client.submissions(study_id, status=status)
        if not found:
            self.stdout.write(f"No submissions{f' with status {status}' if status else ''} in study {study_id}.")
            return
        rows = [
            [
                s.get("id"),
                s.get("participant_id"),
                s.get("status"),
                s.get("started_at"),
                s.get("time_taken"),
                s.get("study_code"),
            ]
            for s in found
        ]
        self.table(SUBMISSION_HEADERS, rows)

    # Money

    def run_approve(self, *, submission_ids, dry_run=False, yes=False, **options):
        config = self.prolific.config
        submission_ids = list(dict.fromkeys(submission_ids))
        # Every id is checked with Prolific before anything is approved: a mistyped one changes nothing.
        planned = [self._approval(config, submission_id) for submission_id in submission_ids]
        if not dry_run and not self.confirm(
            f"Approve {len(planned)} Prolific submission(s)? Prolific pays each its reward; an approval cannot be undone.",
            yes=yes,
        ):
            return
        failures = []
        for approval in planned:
            try:
                payout_make(self, dry_run=dry_run, yes=True, **approval)
            except CommandError as error:
                failures.append(f"{approval['participant'].assignment_id}: {error}")
        if failures:
            raise CommandError("Not approved:\n  " + "\n  ".join(failures))

    def _approval(self, config, submission_id: str) -> dict:
        submission = self.prolific.client.get_submission(submission_id)
        worker_id = str(submission.get("participant") or submission.get("participant_id") or "")
        participant = payouts.participant_of_assignment(recruiter="prolific", assignment_id=submission_id)
        amount = (
            participant.base_pay
            if participant is not None and participant.base_pay is not None
            else config.get("base_payment", 0)
        )
        amount = Decimal(str(amount or 0)).quantize(Decimal("0.01"))
        currency = self.prolific.currency
        key = payouts.approval_key(recruiter="prolific", assignment_id=submission_id, participant=participant)
        status = submission.get("status", "")
        return {
            "key": key,
            "description": (
                f"the approval of Prolific submission {submission_id} (participant {worker_id}, now {status}; "
                f"base payment {amount} {currency})"
            ),
            "intend": lambda: payouts.approval_intend(
                recruiter="prolific",
                assignment_id=submission_id,
                worker_id=worker_id,
                participant=participant,
                amount=amount,
                currency=currency,
                experiment_id=str(config.get("id", "") or ""),
            ),
            "recruiter": self.prolific,
            "participant": participant or payouts.Assignment("prolific", submission_id, worker_id),
        }

    def run_bonus(self, *, participant, amount, reason, key=None, dry_run=False, yes=False, **options):
        prolific_payout(
            self,
            kind=Payment.Kind.BONUS,
            worker_id=participant,
            amount_text=amount,
            reason=reason,
            key=key,
            dry_run=dry_run,
            yes=yes,
        )

    # Webhooks

    def run_webhooks(self, *, setup=False, list_subscriptions=False, remove=None, url=None, yes=False, **options):
        config = self.prolific.config
        target = url or webhook_url(self.base_url())
        if list_subscriptions:
            found = subscriptions_list(config)
            if not found:
                self.stdout.write("No webhook subscriptions.")
                return
            rows = [[s.get("id"), s.get("event_type"), s.get("target_url"), s.get("is_enabled")] for s in found]
            self.table(("id", "event type", "target url", "enabled"), rows)
            return
        if setup:
            question = (
                f"Subscribe {target} to Prolific's webhooks? This makes a new signing secret for the workspace, "
                "replacing its previous one (any other server receiving its webhooks needs the new one)."
            )
            if not self.confirm(question, yes=yes):
                return
            secret = subscriptions_setup(config, target)
            # Shown once, here only: Prolific never shows it again, and it is never logged.
            self.stdout.write(
                f"Subscribed {target} to Prolific's webhooks.\n\n"
                f"Signing secret (shown only this once):\n\n    {secret}\n\n"
                "Set it as prolific_webhook_secret (for example PROLIFIC_WEBHOOK_SECRET in the environment or .env "
                "of every web process) and restart them; deliveries are refused until it is set."
            )
            return
        subscription_id = remove or None
        what = (
            f"webhook subscription {subscription_id}"
            if subscription_id
            else f"every webhook subscription sending to {target}"
        )
        if not self.confirm(f"Remove {what}?", yes=yes):
            return
        removed = subscriptions_remove(config, subscription_id, target_url=target)
        self.stdout.write(f"Removed {len(removed)} subscription(s){': ' + ', '.join(removed) if removed else ''}.")
