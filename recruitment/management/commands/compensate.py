"""`manage.py compensate`: pay a participant for work outside the experiment, once, through the ledger."""

from django.core.management.base import CommandError

from recruitment.management.base import MTURK_RECRUITERS, PROLIFIC_RECRUITERS, RecruitmentCommand, mturk_only
from recruitment.management.mturk_payout import mturk_compensation
from recruitment.management.paying import prolific_payout
from recruitment.models import Payment


class Command(RecruitmentCommand):
    help = (
        "Compensate a worker through their recruiter. Prolific: a bonus to someone who took part in the study. "
        "Mechanical Turk: a qualification only that worker holds and a one-assignment HIT requiring it, whose "
        "reward is the amount (paid when they submit it; live, or with --sandbox). The payout is written on the "
        "payment ledger first: the same command run again pays nothing more (pass a new --key to pay again). "
        "Asks for confirmation unless --yes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--recruiter", help="prolific or mturk (default: the experiment's recruiter)")
        parser.add_argument(
            "--worker_id",
            "--worker-id",
            dest="worker_id",
            required=True,
            help="the participant's id on the recruiter's site (Prolific id, MTurk worker id)",
        )
        parser.add_argument(
            "--dollars",
            "--amount",
            dest="amount",
            required=True,
            help="the amount, in the study's currency (MTurk: US dollars), e.g. 2.50",
        )
        parser.add_argument(
            "--reason", default="Compensation", help="why the participant is compensated (kept on the ledger)"
        )
        parser.add_argument(
            "--key", help="a new key to pay again someone already compensated with the same amount and reason"
        )
        parser.add_argument(
            "--email",
            help="Mechanical Turk: MTurk tells the worker of their qualification, and the message to "
            "send to this address is printed",
        )
        parser.add_argument("--sandbox", action="store_true", help="Mechanical Turk: use the sandbox")
        self.add_dry_run_option(parser)
        self.add_yes_option(parser)

    def run(self, *args, recruiter=None, email=None, sandbox=False, **options):
        recruiter = recruiter or self.experiment().config.get("recruiter", "") or ""
        common = {
            "worker_id": options["worker_id"],
            "amount_text": options["amount"],
            "reason": options["reason"],
            "key": options["key"],
            "dry_run": options["dry_run"],
            "yes": options["yes"],
        }
        if recruiter in MTURK_RECRUITERS:
            mturk_compensation(self, email=email, sandbox=sandbox, **common)
            return
        if recruiter not in PROLIFIC_RECRUITERS:
            raise CommandError(
                "compensate pays through Prolific or Mechanical Turk (--recruiter prolific or mturk); the "
                f"{recruiter or 'configured'} recruiter pays nobody outside this server."
            )
        if email or sandbox:
            raise mturk_only("--email and --sandbox", "Prolific has no sandbox and emails nobody: leave them out.")
        prolific_payout(self, kind=Payment.Kind.COMPENSATION, **common)
