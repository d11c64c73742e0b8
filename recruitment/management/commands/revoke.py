"""`manage.py revoke`: take a Mechanical Turk qualification from workers."""

from django.core.management.base import CommandError

from recruitment.management.base import RecruitmentCommand
from recruitment.management.mturk_access import mturk_recruiter, qualification_of, site_name, workers_of

DEFAULT_REASON = "Revoking automatically assigned Dallinger qualification"


class Command(RecruitmentCommand):
    help = (
        "Revoke a Mechanical Turk qualification from workers (MTurk emails each of them the reason), then print "
        "how many still hold it. Mechanical Turk only (on Prolific, use participant groups). Asks for "
        "confirmation unless --yes."
    )

    def add_arguments(self, parser):
        parser.add_argument("workers", nargs="*", metavar="WORKER_ID", help="worker ids")
        parser.add_argument("--qualification", help="the qualification id (or name with --by_name)")
        parser.add_argument(
            "--by_name", "--by-name", dest="by_name", action="store_true", help="--qualification is a name"
        )
        parser.add_argument("--reason", default=DEFAULT_REASON, help="the reason sent to the workers")
        parser.add_argument("--sandbox", action="store_true", help="use the Mechanical Turk sandbox")
        self.add_yes_option(parser)

    def run(
        self,
        *args,
        workers=(),
        qualification=None,
        by_name=False,
        reason=DEFAULT_REASON,
        sandbox=False,
        yes=False,
        **options,
    ):
        workers = workers_of(workers)
        if not (qualification or "").strip():
            raise CommandError("Name the qualification with --qualification (its id, or its name with --by_name).")
        client = mturk_recruiter(self, sandbox=sandbox).client
        qualification_id = qualification_of(client, qualification, by_name=by_name)
        question = (
            f"Revoke qualification {qualification_id} from {len(workers)} worker(s) on {site_name(sandbox)}? "
            f"MTurk emails each of them: {reason!r}."
        )
        if not self.confirm(question, yes=yes):
            return
        for worker in workers:
            client.qualification_revoke(qualification_id=qualification_id, worker_id=worker, reason=reason)
            self.stdout.write(f"Revoked qualification {qualification_id} from worker {worker}.")
        remaining = len(client.qualification_workers(qualification_id))
        self.stdout.write(f"{remaining} worker(s) still hold qualification {qualification_id}.")
