"""`manage.py hits`: list the recruiter's HITs; for Prolific, the studies of the configured project."""

from django.core.management.base import CommandError

from recruitment.management.base import RecruitmentCommand
from recruitment.management.prolific_access import (
    STUDY_HEADERS,
    chosen_recruiter,
    project_studies,
    prolific_recruiter,
    study_rows,
)


class Command(RecruitmentCommand):
    help = (
        "List the recruiter's HITs: for Prolific, the studies of the configured project (prolific_workspace, "
        "prolific_project) with their id, name, status, places and internal name (the experiment id)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--recruiter", help="prolific (default: the experiment's recruiter; mturk is not available yet)"
        )
        parser.add_argument("--app", help="only the studies of this experiment id (their internal name)")
        parser.add_argument("--sandbox", action="store_true", help="Mechanical Turk only: look in the sandbox")

    def run(self, *args, recruiter=None, app=None, sandbox=False, **options):
        chosen_recruiter(
            self, recruiter, what="Listing HITs", mturk_instead="For Prolific studies use --recruiter prolific."
        )
        if sandbox:
            raise CommandError("Prolific has no sandbox: leave out --sandbox.")
        studies = project_studies(prolific_recruiter(self.experiment().config, self.base_url()))
        if app:
            studies = [study for study in studies if study.get("internal_name") == app]
        if not studies:
            self.stdout.write("No studies found." if not app else f"No studies of experiment {app} found.")
            return
        self.table(STUDY_HEADERS, study_rows(studies))
