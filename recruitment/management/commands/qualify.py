"""`manage.py qualify`: Mechanical Turk qualifications (not available: there is no MTurk adapter yet)."""

from recruitment.management.base import RecruitmentCommand, mturk_only


class Command(RecruitmentCommand):
    help = (
        "Assign a Mechanical Turk qualification to workers. Mechanical Turk only (not available yet); "
        "on Prolific use participant groups."
    )

    def add_arguments(self, parser):
        parser.add_argument("workers", nargs="*", metavar="WORKER_ID", help="worker ids")
        parser.add_argument("--qualification", help="the qualification id (or name with --by_name)")
        parser.add_argument("--value", help="the score to assign")
        parser.add_argument(
            "--by_name", "--by-name", dest="by_name", action="store_true", help="--qualification is a name"
        )
        parser.add_argument("--notify", action="store_true", help="email the workers")
        parser.add_argument("--sandbox", action="store_true", help="use the Mechanical Turk sandbox")

    def run(self, *args, **options):
        raise mturk_only("qualify")
