"""`manage.py dashboard_account`: make the experiment's dashboard login and print it once."""

from django.core.management.base import BaseCommand, CommandError

from experiments.loader import ExperimentLoadError
from experiments.services.dashboard_account import dashboard_account_ensure


class Command(BaseCommand):
    help = (
        "Create or update the dashboard account of the experiment's configuration (dashboard_user, "
        "default admin; dashboard_password, else a new random password, printed once)."
    )

    def handle(self, *args, **options):
        from experiments import runtime

        try:
            config = runtime.active().config
            username, generated = dashboard_account_ensure(config=config)
        except (ExperimentLoadError, ValueError) as error:  # DashboardAccountError is a ValueError
            raise CommandError(str(error)) from None
        self.stdout.write(login_line(username, generated))


def login_line(username: str, generated: str | None) -> str:
    """The line that tells the experimenter how to log in (the configured password is not shown)."""
    if generated is None:
        return f"Dashboard login: user {username}, password as configured (dashboard_password)"
    return f"Dashboard login: user {username}, password {generated}"
