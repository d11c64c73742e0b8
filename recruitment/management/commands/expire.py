"""`manage.py expire`: stop (or pause) the recruiter's study so nobody new can take part."""

from django.core.management.base import CommandError

from recruitment.expiry import expiry_plan, study_expire
from recruitment.management.base import RecruitmentCommand, mturk_only
from recruitment.management.prolific_access import chosen_recruiter, prolific_recruiter, study_id_of


class Command(RecruitmentCommand):
    help = (
        "Stop the experiment's Prolific study (irreversible: a stopped study never takes participants again), "
        "or pause it with --pause (resumable in the Prolific web app). Asks for confirmation unless --yes; "
        "--dry-run says what would be done. --hit_id is for Mechanical Turk (not available yet)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--recruiter", help="prolific (default: the experiment's recruiter)")
        parser.add_argument("--study", help="the Prolific study id (default: the experiment's study)")
        parser.add_argument("--pause", action="store_true", help="pause the study instead of stopping it")
        parser.add_argument("--hit_id", "--hit-id", dest="hit_id", help="Mechanical Turk only: the HIT to expire")
        parser.add_argument("--app", help="Mechanical Turk only: expire the HITs of this experiment id")
        parser.add_argument("--sandbox", action="store_true", help="Mechanical Turk only: use the sandbox")
        self.add_dry_run_option(parser)
        self.add_yes_option(parser)

    def run(
        self,
        *args,
        recruiter=None,
        study=None,
        pause=False,
        hit_id=None,
        app=None,
        sandbox=False,
        dry_run=False,
        yes=False,
        **options,
    ):
        instead = "For Prolific, run expire without --hit_id/--app/--sandbox (the experiment's study, or --study)."
        if hit_id or app:
            raise mturk_only("Expiring HITs by --hit_id or --app", instead)
        chosen_recruiter(self, recruiter, what="Expiring HITs", mturk_instead=instead)
        if sandbox:
            raise CommandError("Prolific has no sandbox: leave out --sandbox.")
        prolific = prolific_recruiter(self.experiment().config, self.base_url())
        plan = expiry_plan(recruiter=prolific, study_id=study_id_of(prolific, study), pause=pause)
        if plan.already_done:
            self.stdout.write(
                f"Prolific study {plan.study_id} ({plan.name}) is already {plan.status}. Nothing was done."
            )
            return
        if dry_run:
            self.stdout.write(f"Dry run: would {plan.description}. Nothing was done.")
            return
        question = f"{plan.description[0].upper()}{plan.description[1:]}? {plan.warning}"
        if not self.confirm(question, yes=yes):
            return
        new_status = study_expire(recruiter=prolific, plan=plan)
        self.stdout.write(f"Prolific study {plan.study_id} ({plan.name}) is now {new_status or 'changed'}.")
