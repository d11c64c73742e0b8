"""`manage.py hits`: list the recruiter's HITs: Mechanical Turk's, or the Prolific project's studies."""

from recruitment.management.base import RecruitmentCommand, chosen_recruiter, mturk_only
from recruitment.management.mturk_access import HIT_HEADERS, experiment_hits, hit_rows, mturk_recruiter, site_name
from recruitment.management.prolific_access import (
    STUDY_HEADERS,
    project_studies,
    prolific_recruiter,
    study_rows,
)


class Command(RecruitmentCommand):
    help = (
        "List the recruiter's HITs: for Mechanical Turk, the account's HITs (live, or with --sandbox) with their "
        "id, title, status, assignments and annotation (the experiment id); for Prolific, the studies of the "
        "configured project (prolific_workspace, prolific_project) with their internal name (the experiment id)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--recruiter", help="prolific or mturk (default: the experiment's recruiter)")
        parser.add_argument("--app", help="only the HITs or studies of this experiment id")
        parser.add_argument("--sandbox", action="store_true", help="Mechanical Turk: look in the sandbox")

    def run(self, *args, recruiter=None, app=None, sandbox=False, **options):
        if chosen_recruiter(self, recruiter, what="Listing HITs") == "mturk":
            client = mturk_recruiter(self, sandbox=sandbox).client
            hits = experiment_hits(client, app)
            if not hits:
                where = site_name(sandbox)
                self.stdout.write(
                    f"No HITs found on {where}." if not app else f"No HITs of experiment {app} on {where}."
                )
                return
            self.table(HIT_HEADERS, hit_rows(hits))
            return
        if sandbox:
            raise mturk_only("--sandbox", "Prolific has no sandbox: leave it out.")
        studies = project_studies(prolific_recruiter(self.experiment().config, self.base_url()))
        if app:
            studies = [study for study in studies if study.get("internal_name") == app]
        if not studies:
            self.stdout.write("No studies found." if not app else f"No studies of experiment {app} found.")
            return
        self.table(STUDY_HEADERS, study_rows(studies))
