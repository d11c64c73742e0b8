"""Email to the experimenter through a real SMTP server on loopback: every kind of notice in
both flavours, once per key, sent after commit, failures logged without the password, the
budget's notices, and `manage.py email_test`."""

import logging

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from recruitment.base import record_recruitments
from recruitment.models import ExperimenterEmail
from recruitment.notices.messages import MESSAGES
from recruitment.notices.outbox import experimenter_notify
from recruitment.payments import budget
from recruitment.tests.smtp_server import PASSWORD, smtp_server
from tests.threads import at_once

APP_ID = "notice-test"
#: Facts the kinds use.
FACTS = {
    "app_id": APP_ID, "assignment_id": "A-77", "participant_id": 12, "error_type": "BadRequest", "report_id": 5,
    "recruiter": "prolific", "when": "2026-12-07 10:00 UTC", "allowed_minutes": "30", "active_minutes": "45",
    "excess_minutes": "15", "unsubmitted": 1, "places_wanted": 3, "idle_minutes": "360",
    "last_activity": "2026-12-07 04:00 UTC", "notice": "Experiment notice-test has reached its budget of 10.00.",
}  # fmt: skip
#: A fact each kind's body must show.
SHOWN = {
    "error_report": "A-77", "resubmitted": "A-77", "cancelled": "A-77", "idle": "3 place(s)", "budget": FACTS["notice"],
}  # fmt: skip


@pytest.fixture
def mailbox():
    with smtp_server() as box:
        yield box


@pytest.fixture
def mailing(db, use_experiment, mailbox):
    """The running experiment, set to send mail to `mailbox` (`mailing(**more_config)`)."""

    def configure(password=PASSWORD, **values):
        settings = {
            "id": APP_ID,
            "mode": "sandbox",
            "whimsical": False,
            **mailbox.settings(password=password),
            **values,
        }
        return use_experiment("bartlett1932", **settings).config

    return configure


def our_log(caplog) -> str:
    """What the project logged (the test SMTP server's own log, `mail.log`, is left out)."""
    return "\n".join(record.getMessage() for record in caplog.records if not record.name.startswith("mail."))


def notify_and_commit(config, kind="idle", key="k1", facts=FACTS, *, capture):
    """Write a notice, then commit: the sending task runs (in process, as tests run tasks)."""
    with capture(execute=True):
        return experimenter_notify(config=config, kind=kind, key=key, facts=facts)


@pytest.mark.parametrize("whimsical", [False, True], ids=["plain", "whimsical"])
@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_each_kind_of_notice_reaches_the_smtp_server_in_its_flavour(
    kind, whimsical, mailing, mailbox, django_capture_on_commit_callbacks
):
    config = mailing(whimsical=whimsical)

    notify_and_commit(config, kind, capture=django_capture_on_commit_callbacks)

    assert mailbox.logins == [("study", PASSWORD)]
    [(sender, recipients, message)] = mailbox.messages
    assert (sender, recipients) == ("study@example.org", ["experimenter@example.org"])
    assert message["To"] == "experimenter@example.org"
    expected = MESSAGES[kind]
    assert message["Subject"] == (expected.whimsical_subject if whimsical else expected.subject)
    body = message.get_content()
    assert APP_ID in body
    assert SHOWN[kind] in body
    assert ("Dear experimenter" in body) is whimsical
    assert ExperimenterEmail.objects.get().state == ExperimenterEmail.State.SENT


def test_a_notice_is_sent_only_after_its_transaction_commits(mailing, mailbox, django_capture_on_commit_callbacks):
    config = mailing()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        experimenter_notify(config=config, kind="idle", key="k1", facts=FACTS)
    assert mailbox.messages == [] and len(callbacks) == 1

    callbacks[0]()
    assert len(mailbox.messages) == 1


def test_a_notice_rolled_back_with_its_transaction_is_never_sent(mailing, mailbox, django_capture_on_commit_callbacks):
    config = mailing()

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            experimenter_notify(config=config, kind="idle", key="k1", facts=FACTS)
            raise RuntimeError("what triggered the notice failed")

    assert mailbox.messages == [] and not ExperimenterEmail.objects.exists()


def test_the_same_notice_key_is_emailed_once(mailing, mailbox, django_capture_on_commit_callbacks):
    config = mailing()

    first = notify_and_commit(config, key="idle:x:1", capture=django_capture_on_commit_callbacks)
    again = notify_and_commit(config, key="idle:x:1", capture=django_capture_on_commit_callbacks)

    assert first is not None and again is None
    assert len(mailbox.messages) == 1


def test_an_smtp_failure_is_logged_without_the_password_and_not_raised(
    mailing, mailbox, caplog, capsys, django_capture_on_commit_callbacks
):
    config = mailing(password="wrong-pw-1234")

    with caplog.at_level(logging.DEBUG):
        notify_and_commit(config, capture=django_capture_on_commit_callbacks)

    assert mailbox.messages == [] and set(mailbox.logins) == {("study", "wrong-pw-1234")}
    assert f"could not be sent through the SMTP server 127.0.0.1:{mailbox.port}" in caplog.text
    email = ExperimenterEmail.objects.get()
    assert email.state == ExperimenterEmail.State.NOT_SENT and "SMTPAuthenticationError" in email.error
    output = capsys.readouterr()
    for text in (caplog.text, email.error, output.out, output.err):
        assert "wrong-pw-1234" not in text


def test_a_password_the_server_echoes_back_is_hidden_from_the_log(
    mailing, mailbox, caplog, django_capture_on_commit_callbacks
):
    async def refuse_echoing(server, session, envelope):
        return f"554 rejected for {PASSWORD}"

    mailbox.handle_DATA = refuse_echoing  # the server quotes the password in its refusal
    config = mailing()

    with caplog.at_level(logging.DEBUG):
        notify_and_commit(config, capture=django_capture_on_commit_callbacks)

    assert "rejected for ********" in our_log(caplog)
    assert PASSWORD not in our_log(caplog) and PASSWORD not in ExperimenterEmail.objects.get().error


def test_in_debug_mode_notices_go_to_the_email_backend_not_the_smtp_server(
    mailing, mailbox, django_capture_on_commit_callbacks
):
    config = mailing(mode="debug")

    notify_and_commit(config, capture=django_capture_on_commit_callbacks)

    assert mailbox.messages == []
    [message] = mail.outbox  # the test run's backend; the console backend by default
    assert message.to == ["experimenter@example.org"] and message.subject == "Idle Experiment."


def test_without_a_recipient_a_notice_is_only_logged(mailing, mailbox, caplog, django_capture_on_commit_callbacks):
    config = mailing(contact_email_on_error="")

    with caplog.at_level(logging.INFO):
        notify_and_commit(config, capture=django_capture_on_commit_callbacks)

    assert mailbox.messages == [] and mail.outbox == []
    assert "nobody is named to receive it: Idle Experiment." in caplog.text
    assert ExperimenterEmail.objects.get().state == ExperimenterEmail.State.NOT_SENT


# The budget's notices


def test_the_budget_notices_are_emailed_once_each(mailing, mailbox, django_capture_on_commit_callbacks):
    config = mailing(budget=10, base_payment=1.0)

    # 8 places of 1.00 (80 %), then 4 more of which 2 fit (the cap), then 4 more (the cap again).
    for wanted in (8, 4, 4):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            allowed = budget.budget_allow_recruitment(config=config, recruiter_nickname="hotair", n=wanted, price=1)
            record_recruitments("hotair", allowed)

    subjects = [message["Subject"] for _, _, message in mailbox.messages]
    assert subjects == ["Experiment budget notice"] * 2
    bodies = [message.get_content() for _, _, message in mailbox.messages]
    assert f"Experiment {APP_ID} has committed 8.00 of its budget of 10.00 (80%)." in bodies[0]
    assert f"Experiment {APP_ID} has reached its budget of 10.00" in bodies[1]


def test_a_budget_notice_that_cannot_be_mailed_changes_nothing_of_the_recruitment(
    mailing, mailbox, caplog, django_capture_on_commit_callbacks
):
    config = mailing(password="wrong-pw-1234", budget=10, base_payment=1.0)

    with django_capture_on_commit_callbacks(execute=True):
        allowed = budget.budget_allow_recruitment(config=config, recruiter_nickname="hotair", n=12, price=1)

    assert allowed == 10
    assert mailbox.messages == [] and "wrong-pw-1234" not in caplog.text
    assert set(ExperimenterEmail.objects.values_list("state", flat=True)) == {ExperimenterEmail.State.NOT_SENT}


# Two processes noticing the same thing at once


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_processes_writing_the_same_notice_at_once_send_one_email(use_experiment, mailbox):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    config = use_experiment("bartlett1932", id=APP_ID, mode="sandbox", **mailbox.settings()).config
    def notice():
        with transaction.atomic():
            return experimenter_notify(config=config, kind="idle", key="idle:same", facts=FACTS)

    written = at_once(notice, times=2)

    assert sorted(email is None for email in written) == [False, True]
    assert len(mailbox.messages) == 1


# manage.py email_test


def test_email_test_sends_a_message_through_the_configured_server(mailing, mailbox, capsys):
    mailing(mode="debug")  # a test of the settings uses SMTP even in debug mode

    call_command("email_test")

    [(_, recipients, message)] = mailbox.messages
    assert recipients == ["experimenter@example.org"]
    assert message["Subject"] == "Test message from the experiment server"
    out = capsys.readouterr().out
    assert f"Test email sent to experimenter@example.org through the SMTP server 127.0.0.1:{mailbox.port}." in out
    assert "(set, hidden)" in out and PASSWORD not in out


def test_email_test_says_why_the_server_refused_and_never_shows_the_password(mailing, mailbox, capsys):
    mailing(password="wrong-pw-1234")

    with pytest.raises(CommandError) as refused:
        call_command("email_test")

    assert "could not be sent through the SMTP server" in str(refused.value)
    assert "SMTPAuthenticationError" in str(refused.value)
    assert "wrong-pw-1234" not in str(refused.value) + capsys.readouterr().out
    assert mailbox.messages == []


def test_email_test_names_the_settings_that_are_missing(mailing, mailbox):
    mailing(smtp_username="", dallinger_email_address="")

    with pytest.raises(CommandError, match="set smtp_username, dallinger_email_address first. Nothing was sent."):
        call_command("email_test")

    assert mailbox.logins == []
