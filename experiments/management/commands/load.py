"""`manage.py load ZIP`: load an export zip into an empty experimental record."""

from django.core.management.base import BaseCommand, CommandError

from experiments.export import import_data


class Command(BaseCommand):
    help = "Load a zip written by `manage.py export` into an empty database, keeping its ids."

    def add_arguments(self, parser):
        parser.add_argument("zip_path", metavar="ZIP", help="The export zip to load.")

    def handle(self, *args, zip_path, **options):
        try:
            counts = import_data(zip_path)
        except Exception as error:  # any failure is reported as a message, not a traceback
            raise CommandError(f"Load failed: {error}") from error
        rows = ", ".join(f"{table} {count}" for table, count in counts.items())
        self.stdout.write(f"Loaded {zip_path}: {rows}")
