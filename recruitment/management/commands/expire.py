"""`manage.py expire`: stop the recruiter's study or HITs so nobody new can take part."""

from django.core.management.base import CommandError

from recruitment.expiry import expiry_plan, study_expire
from recruitment.management.base import MTURK_RECRUITERS, RecruitmentCommand, chosen_recruiter, mturk_only
from recruitment.management.mturk_access import experiment_hits, mturk_recruiter, site_name
from recruitment.management.prolific_access import prolific_recruiter, study_id_of
from recruitment.mturk.client import MTurkError


class Command(RecruitmentCommand):
    help = (
        "Prolific: stop the experiment's study (irreversible: a stopped study never takes participants again), "
        "or pause it with --pause (resumable in the Prolific web app). Mechanical Turk: expire one HIT "
        "(--hit_id) or every HIT of an experiment (--app, its id), on the live site or with --sandbox; workers "
        "already working may still submit. Asks for confirmation unless --yes; --dry-run says what would be done."
    )

    def add_arguments(self, parser):
        parser.add_argument("--recruiter", help="prolific or mturk (default: the experiment's recruiter)")
        parser.add_argument("--study", help="Prolific: the study id (default: the experiment's study)")
        parser.add_argument("--pause", action="store_true", help="Prolific: pause the study instead of stopping it")
        parser.add_argument("--hit_id", "--hit-id", dest="hit_id", help="Mechanical Turk: the HIT to expire")
        parser.add_argument("--app", help="Mechanical Turk: expire the HITs of this experiment id")
        parser.add_argument("--sandbox", action="store_true", help="Mechanical Turk: use the sandbox")
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
        name = "mturk" if (hit_id or app) else chosen_recruiter(self, recruiter, what="Expiring")
        if name == "mturk":
            if recruiter and recruiter not in MTURK_RECRUITERS:
                raise CommandError("--hit_id and --app name Mechanical Turk HITs: use them with --recruiter mturk.")
            if study or pause:
                raise CommandError("--study and --pause are for Prolific: leave them out for Mechanical Turk.")
            self.expire_hits(hit_id=hit_id, app=app, sandbox=sandbox, dry_run=dry_run, yes=yes)
            return
        if sandbox:
            raise mturk_only("--sandbox", "Prolific has no sandbox: leave it out.")
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

    def expire_hits(self, *, hit_id, app, sandbox: bool, dry_run: bool, yes: bool) -> None:
        """Expire the HIT named, or every HIT annotated with the experiment id `app`; an error
        (exit 1) when none could be expired."""
        hit_id, app = (hit_id or "").strip(), (app or "").strip()
        if bool(hit_id) == bool(app):
            raise CommandError("Name exactly one of --hit_id (a HIT) or --app (an experiment id) to expire on MTurk.")
        client = mturk_recruiter(self, sandbox=sandbox).client
        if hit_id:
            hit_ids = [hit_id]
        else:
            hit_ids = [hit["id"] for hit in experiment_hits(client, app)]
            if not hit_ids:
                raise CommandError(f"No HITs of experiment {app} were found on {site_name(sandbox)}.")
        description = f"expire {len(hit_ids)} HIT(s) on {site_name(sandbox)}: {', '.join(hit_ids)}"
        if dry_run:
            self.stdout.write(f"Dry run: would {description}. Nothing was done.")
            return
        if not self.confirm(f"{description[0].upper()}{description[1:]}? Nobody new can take them.", yes=yes):
            return
        expired, failed = [], []
        for each in hit_ids:
            try:
                client.hit_expire(each)
            except MTurkError as error:
                failed.append((each, str(error)))
            else:
                expired.append(each)
        for each in expired:
            self.stdout.write(f"Expired HIT {each}.")
        for each, error in failed:
            self.stderr.write(f"Could not expire HIT {each}: {error}")
        if not expired:
            raise CommandError("No HIT was expired.")
