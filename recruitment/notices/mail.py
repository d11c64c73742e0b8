"""Sending one email to the experimenter: the backend, the sender and the recipient, from the
experiment's configuration. The one place in the project where mail leaves.

With Dallinger's five keys set (`smtp_host`, `smtp_username`, `smtp_password`,
`contact_email_on_error`, `dallinger_email_address`) and `mode` not `debug`, mail goes out
through that SMTP server; otherwise through Django's `EMAIL_BACKEND` (the console by
default), so a local run shows what it would have sent. The password is never logged, shown
or put in an error message, even where a server echoes it back.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

logger = logging.getLogger(__name__)

#: Configuration keys SMTP needs (Dallinger's names); without all of them mail goes to EMAIL_BACKEND.
SMTP_KEYS = ("smtp_host", "smtp_username", "smtp_password", "contact_email_on_error", "dallinger_email_address")
#: A relay on this machine rarely offers TLS, and nothing sent to it leaves the machine.
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
#: Dallinger gives up on the server after 8 s; a task can afford a little longer.
SMTP_TIMEOUT_SECONDS = 20
DEFAULT_SMTP_PORT = 587
HIDDEN = "********"


class EmailNotSent(Exception):
    """The email could not be sent; the message says why, without the password."""


class NoRecipient(EmailNotSent):
    """`contact_email_on_error` is not set: the email was written to the log instead."""


def smtp_missing(config) -> list[str]:
    """The SMTP keys the configuration leaves empty (none: mail can go through SMTP)."""
    return [key for key in SMTP_KEYS if not _value(config, key)]


def email_route(config, *, force_smtp: bool = False) -> str:
    """Where an email would go now: "smtp" or "backend" (Django's EMAIL_BACKEND).

    `force_smtp` uses SMTP even in debug mode (`manage.py email_test` checks the settings)."""
    if smtp_missing(config):
        return "backend"
    if _value(config, "mode") == "debug" and not force_smtp:
        return "backend"
    return "smtp"


def email_send(config, *, subject: str, body: str, force_smtp: bool = False) -> str:
    """Send `subject` and `body` to `contact_email_on_error`; says where it went.

    EmailNotSent (its message safe to log and show) when it cannot be sent; NoRecipient, after
    writing it to the log as Dallinger does, when nobody is named to receive it."""
    recipient = _value(config, "contact_email_on_error")
    if not recipient:
        logger.info("Email to the experimenter, written here as nobody is named to receive it: %s\n%s", subject, body)
        raise NoRecipient(f"The email {subject!r} was only logged: contact_email_on_error is not set.")
    sender = _value(config, "dallinger_email_address") or settings.DEFAULT_FROM_EMAIL
    route = email_route(config, force_smtp=force_smtp)
    password = _value(config, "smtp_password")
    if route == "smtp":
        host, port = smtp_host_and_port(_value(config, "smtp_host"))
        where = f"the SMTP server {host}:{port}"
    else:
        where = f"the email backend {settings.EMAIL_BACKEND.rsplit('.', 2)[-2]}"
    try:
        if route == "smtp":
            connection = get_connection(
                "django.core.mail.backends.smtp.EmailBackend",
                host=host,
                port=port,
                username=_value(config, "smtp_username"),
                password=password,
                # Dallinger always asks for STARTTLS; a local relay is the one exception.
                use_tls=host not in LOOPBACK_HOSTS,
                timeout=SMTP_TIMEOUT_SECONDS,
                fail_silently=False,
            )
        else:
            connection = get_connection(fail_silently=False)
        EmailMessage(subject, body, sender, [recipient], connection=connection).send()
    except Exception as error:  # any failure: the caller records it, nothing else is affected
        reason = f"{type(error).__name__}: {error}"
        if password:
            reason = reason.replace(password, HIDDEN)
        raise EmailNotSent(f"The email {subject!r} could not be sent through {where}: {reason}") from None
    return where


def smtp_host_and_port(value: str) -> tuple[str, int]:
    """`host:port` (the port defaults to 587, as Dallinger's smtp.gmail.com:587)."""
    host, separator, port = value.strip().rpartition(":")
    if separator and port.isdigit() and host:
        return host.strip("[]"), int(port)
    return value.strip(), DEFAULT_SMTP_PORT


def _value(config, key: str) -> str:
    if config is None:
        return ""
    value = config.get(key)
    return "" if value is None else str(value).strip()
