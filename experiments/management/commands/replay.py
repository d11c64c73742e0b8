"""`manage.py replay ZIP`: replay an export through the experiment's `replay_*` hooks."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from experiments import runtime
from experiments.services.replay import ReplayError, replay_load, replay_run


class Command(BaseCommand):
    help = (
        "Load an export zip into the database and replay its events (every info, oldest first, "
        "unless the experiment's events_for_replay says otherwise) through the experiment's "
        "replay_start, replay_event and replay_finish hooks, at the pace they first happened."
    )

    def add_arguments(self, parser):
        parser.add_argument("zip_path", metavar="ZIP", help="The export zip to replay.")
        parser.add_argument(
            "--speed",
            type=float,
            default=1.0,
            help="How much faster than the original to replay (default 1; 0 replays without waiting).",
        )
        parser.add_argument(
            "--replace", action="store_true", help="Clear the experiment data already in the database first."
        )

    def handle(self, *args, zip_path, speed, replace, **options):
        path = Path(zip_path)
        if not path.is_file():
            raise CommandError(f"There is no file {zip_path}.")
        if speed < 0:
            raise CommandError("--speed must be 0 (no waiting) or more.")
        try:
            loaded = replay_load(zip_path=path, replace=replace)
            rows = ", ".join(f"{table} {count}" for table, count in loaded.items())
            self.stdout.write(f"Loaded {zip_path}: {rows}")
            # Built only now: an experiment sets up its networks when built, and must find the loaded ones.
            count = replay_run(experiment=runtime.experiment(), speed=speed)
        except ReplayError as error:
            raise CommandError(f"Replay failed: {error}") from error
        self.stdout.write(f"Replayed {count} events.")
