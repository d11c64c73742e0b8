"""Email to the experimenter, through the SMTP server the experiment's configuration names."""

import logging

from django.core.mail import EmailMessage, get_connection

logger = logging.getLogger(__name__)

#: Configuration keys an email needs (Dallinger's names); without all of them nothing is sent.
EMAIL_KEYS = ("contact_email_on_error", "dallinger_email_address", "smtp_host", "smtp_username", "smtp_password")
#: A relay on this machine rarely offers TLS, and nothing sent to it leaves the machine.
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
SMTP_TIMEOUT_SECONDS = 20
DEFAULT_SMTP_PORT = 587


def experimenter_email_send(config, *, subject: str, body: str) -> bool:
    """Send `subject` and `body` to the configured `contact_email_on_error`; whether it was sent.

    Never raises: a notice that cannot be mailed is logged (it is already in the log and on the
    ledger), so whatever triggered it goes on.
    """
    values = {key: (config.get(key) or "") if config is not None else "" for key in EMAIL_KEYS}
    missing = [key for key, value in values.items() if not value]
    if missing:
        logger.info("No email sent (%s): the configuration does not name %s.", subject, ", ".join(missing))
        return False
    host, port = _host_and_port(values["smtp_host"])
    try:
        connection = get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            host=host,
            port=port,
            username=values["smtp_username"],
            password=values["smtp_password"],
            # Dallinger always asks for STARTTLS; a local relay is the one exception.
            use_tls=host not in LOOPBACK_HOSTS,
            timeout=SMTP_TIMEOUT_SECONDS,
        )
        message = EmailMessage(
            subject, body, values["dallinger_email_address"], [values["contact_email_on_error"]], connection=connection
        )
        message.send()
    except Exception as error:  # any failure: the mail is lost, the caller's work is not
        # The server's answer is worth logging; the password must never be, even echoed back.
        reason = f"{type(error).__name__}: {error}".replace(values["smtp_password"], "********")
        logger.error("The email %r to the experimenter could not be sent through %s:%s: %s", subject, host, port, reason)
        return False
    return True


def _host_and_port(value: str) -> tuple[str, int]:
    host, separator, port = value.strip().rpartition(":")
    if separator and port.isdigit() and host:
        return host.strip("[]"), int(port)
    return value.strip(), DEFAULT_SMTP_PORT
