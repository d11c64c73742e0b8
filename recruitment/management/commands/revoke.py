"""`manage.py revoke`: Mechanical Turk qualifications (not available: there is no MTurk adapter yet)."""

from recruitment.management.base import RecruitmentCommand, mturk_only


class Command(RecruitmentCommand):
    help = (
        "Revoke a Mechanical Turk qualification from workers. Mechanical Turk only (not available yet); "
        "on Prolific use participant groups."
    )

    def add_arguments(self, parser):
        parser.add_argument("workers", nargs="*", metavar="WORKER_ID", help="worker ids")
        parser.add_argument("--qualification", help="the qualification id (or name with --by_name)")
        parser.add_argument(
            "--by_name", "--by-name", dest="by_name", action="store_true", help="--qualification is a name"
        )
        parser.add_argument(
            "--reason",
            default="Revoking automatically assigned Dallinger qualification",
            help="the reason sent to the workers",
        )
        parser.add_argument("--sandbox", action="store_true", help="use the Mechanical Turk sandbox")

    def run(self, *args, **options):
        raise mturk_only("revoke")
