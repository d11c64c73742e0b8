"""`manage.py export`: write the experimental record to a zip in Dallinger's export layout."""

import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from experiments.export import export_data, export_id

_SAFE_FILE_NAME = re.compile(r"^[\w][\w.-]*$")


class Command(BaseCommand):
    help = (
        "Export the experiment's data as a zip (experiment_id.md and data/<table>.csv). "
        "Worker ids are pseudonymised unless --no-scrub is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--id",
            dest="experiment_id",
            help="Experiment id (default: the `id` config key, else the experiment's name and the time).",
        )
        parser.add_argument("--output", help="Where to write the zip (default: data/<id>-data.zip here).")
        parser.add_argument("--no-scrub", action="store_true", help="Keep worker ids and browser fingerprints.")

    def handle(self, *args, experiment_id=None, output=None, no_scrub=False, **options):
        try:
            experiment_id = experiment_id or _configured_id()
            destination = Path(output) if output else _default_destination(experiment_id)
            path = export_data(destination, experiment_id=experiment_id, scrub=not no_scrub)
        except CommandError:
            raise
        except Exception as error:  # any failure is reported as a message, not a traceback
            raise CommandError(f"Export failed: {error}") from error
        self.stdout.write(str(path))


def _configured_id() -> str:
    from experiments import runtime

    loaded = runtime.active()
    return export_id(name=loaded.name, config=loaded.config)


def _default_destination(experiment_id: str) -> Path:
    if not _SAFE_FILE_NAME.match(experiment_id):
        raise CommandError(f"The experiment id {experiment_id!r} cannot be used as a file name; pass --output.")
    return Path.cwd() / "data" / f"{experiment_id}-data.zip"
