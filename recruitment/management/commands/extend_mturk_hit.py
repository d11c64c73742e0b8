"""`manage.py extend_mturk_hit`: add assignments to a HIT (not available: there is no MTurk adapter yet)."""

from recruitment.management.base import RecruitmentCommand, mturk_only


class Command(RecruitmentCommand):
    help = (
        "Add assignments, and optionally time, to a Mechanical Turk HIT. Mechanical Turk only (not available "
        "yet); on Prolific, places are added by recruitment (auto_recruit) or in the Prolific web app."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hit_id", "--hit-id", dest="hit_id", help="the HIT id")
        parser.add_argument("--assignments", type=int, help="how many assignments to add")
        parser.add_argument(
            "--duration_hours", "--duration-hours", dest="duration_hours", type=float, help="hours to add"
        )
        parser.add_argument("--sandbox", action="store_true", help="the HIT is in the Mechanical Turk sandbox")

    def run(self, *args, **options):
        raise mturk_only(
            "extend_mturk_hit",
            "On Prolific, places are added by recruitment (with auto_recruit) or in the Prolific web app.",
        )
