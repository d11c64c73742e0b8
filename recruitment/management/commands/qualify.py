"""`manage.py qualify`: give Mechanical Turk workers a qualification with a score."""

from django.core.management.base import CommandError

from recruitment.management.base import RecruitmentCommand
from recruitment.management.mturk_access import mturk_recruiter, qualification_of, site_name, workers_of


class Command(RecruitmentCommand):
    help = (
        "Give Mechanical Turk workers a qualification with a score (--value), then print how many workers hold "
        "each score. Mechanical Turk only (on Prolific, use participant groups). MTurk emails the workers only "
        "with --notify."
    )

    def add_arguments(self, parser):
        parser.add_argument("workers", nargs="*", metavar="WORKER_ID", help="worker ids")
        parser.add_argument("--qualification", help="the qualification id (or name with --by_name)")
        parser.add_argument("--value", help="the score to assign (a whole number)")
        parser.add_argument(
            "--by_name", "--by-name", dest="by_name", action="store_true", help="--qualification is a name"
        )
        parser.add_argument("--notify", action="store_true", help="have MTurk email the workers")
        parser.add_argument("--sandbox", action="store_true", help="use the Mechanical Turk sandbox")

    def run(
        self, *args, workers=(), qualification=None, value=None, by_name=False, notify=False, sandbox=False, **options
    ):
        workers = workers_of(workers)
        try:
            score = int(str(value).strip())
        except ValueError:
            raise CommandError(f"--value must be a whole number, not {value!r}.") from None
        if not (qualification or "").strip():
            raise CommandError("Name the qualification with --qualification (its id, or its name with --by_name).")
        client = mturk_recruiter(self, sandbox=sandbox).client
        qualification_id = qualification_of(client, qualification, by_name=by_name)
        for worker in workers:
            client.qualification_assign(qualification_id=qualification_id, worker_id=worker, score=score, notify=notify)
            self.stdout.write(f"Gave worker {worker} qualification {qualification_id} with score {score}.")
        holders = client.qualification_workers(qualification_id)
        counts = {}
        for holder in holders:
            counts[holder["score"]] = counts.get(holder["score"], 0) + 1
        self.stdout.write(f"Workers holding qualification {qualification_id} on {site_name(sandbox)}:")
        self.table(("score", "workers"), sorted(counts.items()))
