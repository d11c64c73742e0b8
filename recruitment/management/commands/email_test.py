"""`manage.py email_test`: send a test email to the experimenter with the configured settings."""

from django.core.management.base import CommandError

from recruitment import host
from recruitment.management.base import RecruitmentCommand
from recruitment.notices.mail import SMTP_KEYS, EmailNotSent, email_send

SUBJECT = "Test message from the experiment server"
BODY = """Hello,

This message was sent by `manage.py email_test` to check the email settings of experiment {app_id}.
It arrived, so notices (error reports, overdue participants, idle recruitment, the budget)
will reach you here.
"""


class Command(RecruitmentCommand):
    help = (
        "Show the email settings (smtp_host, smtp_username, contact_email_on_error, dallinger_email_address; "
        "never the password) and send a test message through the SMTP server they name, now, even in debug "
        "mode. Exits non-zero with the reason when a setting is missing or the server refuses."
    )

    def run(self, *args, **options):
        config = host.current().config()
        self.table(["setting", "value"], [[key, self._shown(config, key)] for key in SMTP_KEYS])
        missing = [key for key in SMTP_KEYS if not config.get(key)]
        if missing:
            raise CommandError(f"Email is not configured: set {', '.join(missing)} first. Nothing was sent.")
        try:
            where = email_send(
                config, subject=SUBJECT, body=BODY.format(app_id=config.get("id") or "(no id)"), force_smtp=True
            )
        except EmailNotSent as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Test email sent to {config.get('contact_email_on_error')} through {where}.")

    @staticmethod
    def _shown(config, key: str) -> str:
        value = config.get(key)
        if not value:
            return "(not set)"
        return "(set, hidden)" if key == "smtp_password" else str(value)
