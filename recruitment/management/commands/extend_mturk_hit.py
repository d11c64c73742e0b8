"""`manage.py extend_mturk_hit`: add assignments, and optionally time, to a Mechanical Turk HIT."""

from django.core.management.base import CommandError

from recruitment.management.base import RecruitmentCommand
from recruitment.management.mturk_access import HIT_HEADERS, hit_rows, mturk_recruiter, site_name
from recruitment.mturk.client import request_token


class Command(RecruitmentCommand):
    help = (
        "Add assignments (--assignments), and optionally hours before it expires (--duration_hours), to a "
        "Mechanical Turk HIT, then print the HIT. Mechanical Turk only (on Prolific, places are added by "
        "recruitment or in the Prolific web app). A HIT made with fewer than 10 assignments cannot reach 10 "
        "(use the mturklarge recruiter). Asks for confirmation unless --yes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hit_id", "--hit-id", dest="hit_id", help="the HIT id")
        parser.add_argument("--assignments", help="how many assignments to add")
        parser.add_argument("--duration_hours", "--duration-hours", dest="duration_hours", help="hours to add")
        parser.add_argument("--sandbox", action="store_true", help="the HIT is in the Mechanical Turk sandbox")
        self.add_yes_option(parser)

    def run(self, *args, hit_id=None, assignments=None, duration_hours=None, sandbox=False, yes=False, **options):
        hit_id = (hit_id or "").strip()
        if not hit_id:
            raise CommandError("Name the HIT with --hit_id.")
        number = _whole(assignments)
        hours = _hours(duration_hours)
        client = mturk_recruiter(self, sandbox=sandbox).client
        hit = client.hit_get(hit_id)
        more_time = f" and {hours:g} hour(s) before it expires" if hours else ""
        question = (
            f"Add {number} assignment(s){more_time} to HIT {hit_id} ({hit['title']}) on {site_name(sandbox)}? "
            "Each assignment taken is paid its reward."
        )
        if not self.confirm(question, yes=yes):
            return
        # Named after the HIT's assignments now: running the command again adds more, while a
        # retry of a request whose answer was lost is refused by MTurk.
        token = request_token(f"{hit_id}:extend:{hit['max_assignments']}:{number}")
        client.assignments_add(hit_id=hit_id, number=number, token=token)
        if hours:
            client.expiration_extend(hit_id=hit_id, hours=hours)
        self.table(HIT_HEADERS, hit_rows([client.hit_get(hit_id)]))


def _whole(value) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if value is None or number < 1:
        raise CommandError(f"--assignments must be a whole number of 1 or more, not {value!r}.")
    return number


def _hours(value) -> float | None:
    if value is None:
        return None
    try:
        hours = float(str(value).strip())
    except ValueError:
        hours = -1
    if not hours > 0 or hours == float("inf"):
        raise CommandError(f"--duration_hours must be a number of hours above 0, not {value!r}.")
    return hours
