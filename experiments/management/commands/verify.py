"""`manage.py verify [FOLDER]`: check an experiment package before running or deploying it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from experiments.verification import verify_package


class Command(BaseCommand):
    help = (
        "Check that FOLDER (default: the current folder) is an experiment package that runs here: "
        "config.txt and experiment.py present, size, .python-version, one Experiment class, "
        "renamed hooks, configuration, base_payment, files named like the platform's own. "
        "Exits non-zero if a problem is found."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", nargs="?", default=".", help="The experiment package's folder.")

    def handle(self, *args, folder=".", **options):
        path = Path(folder).expanduser().resolve()
        if not path.is_dir():
            raise CommandError(f"{folder} is not a folder.")
        self.stdout.write(f"Checking {path} as an experiment package...")
        findings = verify_package(path)
        for finding in findings:
            mark = "!" if finding.warning else ("✓" if finding.ok else "✗")
            self.stdout.write(f"{mark} {finding.message}")
        problems = [finding for finding in findings if not finding.ok]
        if problems:
            raise CommandError(f"{len(problems)} problem(s) found.")
        self.stdout.write(self.style.SUCCESS("Everything looks good."))
