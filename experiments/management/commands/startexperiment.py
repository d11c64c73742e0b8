"""`manage.py startexperiment NAME [DIRECTORY]`: a new experiment package that runs at once."""

import keyword
import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

SCAFFOLD = Path(__file__).resolve().parents[2] / "scaffold"
SUFFIX = "-tpl"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class Command(BaseCommand):
    help = (
        "Create an experiment package NAME (in DIRECTORY, default the current folder): the "
        "Experiment class, config.txt, a page and its script, an HTTP and a browser bot, and a "
        "test. `runexperiment NAME --bots 2` runs it straight away."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="the package's name: lower-case letters, digits and _, e.g. memory_chain")
        parser.add_argument("directory", nargs="?", default=".", help="where to create it (default: here)")

    def handle(self, *args, name, directory=".", **options):
        if not _NAME.match(name) or keyword.iskeyword(name):
            raise CommandError(
                f"{name!r} cannot be an experiment's name: use lower-case letters, digits and _, "
                "starting with a letter (it becomes a folder and a Python package)."
            )
        parent = Path(directory).expanduser()
        if not parent.is_dir():
            raise CommandError(f"{directory} is not a folder.")
        target = parent / name
        if target.exists():
            raise CommandError(f"{target} already exists: choose another name or remove it.")
        values = {
            "__NAME__": name,
            "__CLASS_NAME__": "".join(part.capitalize() for part in name.split("_") if part),
            "__TITLE__": name.replace("_", " ").capitalize(),
            "__MANAGE_PY__": str(Path(settings.BASE_DIR) / "manage.py"),
        }
        for source in sorted(SCAFFOLD.rglob(f"*{SUFFIX}")):
            destination = target / source.relative_to(SCAFFOLD).with_name(source.name[: -len(SUFFIX)])
            destination.parent.mkdir(parents=True, exist_ok=True)
            text = source.read_text()
            for marker, value in values.items():
                text = text.replace(marker, value)
            destination.write_text(text)
        self.stdout.write(self.style.SUCCESS(f"Created {target}."))
        self.stdout.write(f"Run it with two bots:  manage.py runexperiment {target} --bots 2")
