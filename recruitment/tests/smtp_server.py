"""A real SMTP server on a free loopback port (aiosmtpd) that requires a login, for email tests."""

import email
from contextlib import contextmanager
from email.policy import default

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.web_servers import free_port

USERNAME = "study"
PASSWORD = "s3cret-pw"


class Mailbox:
    """What the server received (sender, recipients, parsed message) and the logins it saw."""

    def __init__(self):
        self.messages = []
        self.logins = []
        self.port = 0

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        accepted = auth_data.login == USERNAME.encode() and auth_data.password == PASSWORD.encode()
        # Not `handled`: the server answers a refused login itself (535) instead of leaving the client waiting.
        return AuthResult(success=accepted, handled=False)

    def settings(self, password: str = PASSWORD) -> dict:
        """The configuration keys that send mail here, as the experimenter would set them."""
        return {
            "contact_email_on_error": "experimenter@example.org",
            "dallinger_email_address": "study@example.org",
            "smtp_host": f"127.0.0.1:{self.port}",
            "smtp_username": USERNAME,
            "smtp_password": password,
        }


@contextmanager
def smtp_server():
    """Run a Mailbox's server for the duration of the block."""
    box = Mailbox()
    box.port = free_port()
    controller = Controller(
        box, hostname="127.0.0.1", port=box.port, authenticator=box.authenticate, auth_require_tls=False
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
