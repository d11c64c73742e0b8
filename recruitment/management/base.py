"""What recruitment's management commands share: the experiment, the site they act on, confirmation, errors, tables."""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recruitment import host
from recruitment.base import RecruiterError

#: The recruiter nicknames whose site the commands act on, by site.
MTURK_RECRUITERS = ("mturk", "mturklarge")
PROLIFIC_RECRUITERS = ("prolific", "devprolific")


def mturk_only(what: str, instead: str) -> CommandError:
    """The error of an option that only Mechanical Turk supports, used with another recruiter;
    `instead` says what to do there."""
    return CommandError(f"{what} works with Mechanical Turk only. {instead}")


def chosen_recruiter(command, given: str | None, *, what: str) -> str:
    """`prolific` or `mturk`, for the recruiter named by --recruiter or the experiment's
    configuration; an error for recruiters with no site to act on."""
    name = given or command.experiment().config.get("recruiter", "") or ""
    if name in MTURK_RECRUITERS:
        return "mturk"
    if name not in PROLIFIC_RECRUITERS:
        raise CommandError(
            f"{what} acts on Prolific or Mechanical Turk (--recruiter prolific or mturk); the "
            f"{name or 'configured'} recruiter has no site to act on."
        )
    return "prolific"


class RecruitmentCommand(BaseCommand):
    """A command that acts on the running experiment's recruitment: errors become messages.

    Subclasses implement `run(**options)`. A recruiter's or the platform's refusal is shown as
    a one-line message with a non-zero exit, never as a traceback.
    """

    # Tests hand in a stand-in terminal (`call_command(..., stdin=...)`).
    stealth_options = ("stdin",)

    def handle(self, *args, **options):
        self._stdin = options.get("stdin") or sys.stdin
        try:
            return self.run(*args, **options)
        except CommandError:
            raise
        except RecruiterError as error:
            raise CommandError(str(error)) from error

    def run(self, *args, **options):
        """The command's work."""
        raise NotImplementedError

    # Options

    @staticmethod
    def add_yes_option(parser):
        """`--yes`: skip the confirmation prompt (needed when not run from a terminal)."""
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    @staticmethod
    def add_dry_run_option(parser):
        """`--dry-run`: say what would be done, do nothing."""
        parser.add_argument("--dry-run", action="store_true", help="print exactly what would be done, and do nothing")

    # The experiment

    def experiment(self):
        """The running experiment (its configuration and recruiter), as the runtime gives it."""
        return host.current().experiment()

    def base_url(self) -> str:
        """The server's public address, from which recruiters build participant links."""
        return settings.DALLINGER_BASE_URL

    # Talking to the experimenter

    def confirm(self, question: str, *, yes: bool) -> bool:
        """Whether the experimenter agrees to `question` (True at once with `--yes`).

        Without a terminal nobody can answer: refused with a message that names `--yes`.
        """
        if yes:
            return True
        stdin = self._stdin
        if not (hasattr(stdin, "isatty") and stdin.isatty()):
            raise CommandError("This command asks for confirmation, and there is no terminal to ask: pass --yes.")
        self.stdout.write(f"{question} [y/N] ", ending="")
        self.stdout.flush()
        answer = stdin.readline().strip().lower()
        if answer in ("y", "yes"):
            return True
        self.stdout.write("Nothing was done.")
        return False

    def table(self, headers, rows) -> None:
        """Print rows under headers, in aligned columns."""
        rows = [["" if value is None else str(value) for value in row] for row in rows]
        widths = [max(len(str(header)), *(len(row[i]) for row in rows)) for i, header in enumerate(headers)]
        self.stdout.write("  ".join(str(header).ljust(width) for header, width in zip(headers, widths)).rstrip())
        self.stdout.write("  ".join("-" * width for width in widths))
        for row in rows:
            self.stdout.write("  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip())
