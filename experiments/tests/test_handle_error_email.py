"""/handle-error tells the experimenter by email, from a task after the commit: the participant's
answer never waits for the mail server, and a mail server that fails never reaches them."""

import logging

import pytest

from core.models import Notification
from experiments.tests.api_support import create_participant
from recruitment.models import ExperimenterEmail
from recruitment.tests.smtp_server import smtp_server

APP_ID = "error-mail-test"


@pytest.fixture
def mailbox():
    with smtp_server() as box:
        yield box


def report(client, participant_id):
    return client.post(
        "/handle-error",
        {"participant_id": participant_id, "error_feedback": "It froze.", "error_type": "BadRequest"},
    )


@pytest.mark.django_db
def test_the_error_report_is_answered_before_the_email_is_sent_then_the_task_sends_it(
    client, use_experiment, mailbox, django_capture_on_commit_callbacks
):
    use_experiment("bartlett1932", id=APP_ID, mode="sandbox", whimsical=False, **mailbox.settings())
    participant = create_participant(client, assignment_id="A-err")["participant"]

    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        response = report(client, participant["id"])

    # The participant has their answer; the email is only queued, for after the commit.
    assert response.status_code == 200
    assert "Your assignment has been completed" in response.content.decode()
    assert mailbox.messages == []
    assert ExperimenterEmail.objects.get().state == ExperimenterEmail.State.WAITING

    for callback in after_commit:
        callback()
    [(_, recipients, message)] = mailbox.messages
    assert recipients == ["experimenter@example.org"]
    assert message["Subject"] == "Error during HIT."
    body = message.get_content()
    stored = Notification.objects.get(event_type="ExperimentError")
    assert "A-err" in body and f"notification {stored.pk}" in body and APP_ID in body


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_that_refuses_never_reaches_the_participant(client, use_experiment, mailbox, caplog):
    # Committed for real, with tasks run in process: the send happens within the request's
    # thread (as in the embedded run), yet its failure is the task's, logged, not the answer's.
    use_experiment("bartlett1932", id=APP_ID, mode="sandbox", **mailbox.settings(password="wrong-pw-1234"))
    participant = create_participant(client)["participant"]

    with caplog.at_level(logging.INFO):
        response = report(client, participant["id"])

    assert response.status_code == 200
    assert "Your assignment has been completed" in response.content.decode()
    assert mailbox.messages == [] and mailbox.logins
    assert "could not be sent through the SMTP server" in caplog.text
    assert "wrong-pw-1234" not in caplog.text
    assert ExperimenterEmail.objects.get().state == ExperimenterEmail.State.NOT_SENT


@pytest.mark.django_db
def test_reports_cannot_flood_the_experimenter_yet_every_one_is_kept(
    client, use_experiment, mailbox, django_capture_on_commit_callbacks
):
    use_experiment("bartlett1932", id=APP_ID, mode="sandbox", whimsical=False, **mailbox.settings())
    first = create_participant(client)["participant"]
    second = create_participant(client)["participant"]

    with django_capture_on_commit_callbacks(execute=True):
        for participant_id in (first["id"], first["id"], second["id"], "", "", 999999):
            assert report(client, participant_id).status_code == 200

    # One email per participant the caller holds; one for the reports naming nobody they hold.
    assert Notification.objects.filter(event_type="ExperimentError").count() == 6
    assert len(mailbox.messages) == 3
