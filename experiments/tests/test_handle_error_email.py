"""/handle-error tells the experimenter by email, from a task after the commit: the participant's
answer never waits for the mail server, and a mail server that fails never reaches them."""

import logging

import pytest
from django.test import Client

from core.models import Notification, Participant, ParticipantStatus
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


def _email_body(mailbox) -> str:
    [(_, _, message)] = mailbox.messages
    return message.get_content()


@pytest.mark.django_db
def test_the_email_says_the_assignment_was_completed_only_when_it_was(
    client, use_experiment, mailbox, django_capture_on_commit_callbacks
):
    use_experiment("bartlett1932", id=APP_ID, mode="sandbox", whimsical=False, **mailbox.settings())
    participant = create_participant(client)["participant"]

    with django_capture_on_commit_callbacks(execute=True):
        assert report(client, participant["id"]).status_code == 200

    body = _email_body(mailbox)
    assert "Their assignment was completed so that they can be paid." in body
    assert "NOT completed" not in body


@pytest.mark.django_db
def test_the_email_says_so_when_a_report_from_another_browser_completed_nothing(
    client, use_experiment, mailbox, django_capture_on_commit_callbacks
):
    # Given a working participant, and a report naming them from a browser that does not hold them
    use_experiment("bartlett1932", id=APP_ID, mode="sandbox", whimsical=False, **mailbox.settings())
    participant = create_participant(client)["participant"]
    stranger = Client()

    with django_capture_on_commit_callbacks(execute=True):
        assert report(stranger, participant["id"]).status_code == 200

    # Then the participant is still working, and the experimenter is not told otherwise
    assert Participant.objects.get(pk=participant["id"]).status == ParticipantStatus.WORKING
    body = _email_body(mailbox)
    assert "Their assignment was NOT completed (the report did not come from the participant's own browser)" in body
    assert "completed so that they can be paid" not in body


@pytest.mark.django_db
def test_the_email_says_so_when_completing_the_assignment_failed(
    client, use_experiment, mailbox, django_capture_on_commit_callbacks
):
    # Given a participant who returned the assignment, so completing it is refused
    use_experiment("bartlett1932", id=APP_ID, mode="sandbox", whimsical=True, **mailbox.settings())
    participant = create_participant(client)["participant"]
    Participant.objects.filter(pk=participant["id"]).update(status=ParticipantStatus.RETURNED)

    with django_capture_on_commit_callbacks(execute=True):
        response = report(client, participant["id"])

    # Then neither the participant's page nor the (whimsical) email says it was completed
    assert response.status_code == 200
    assert "We could not complete your assignment automatically." in response.content.decode()
    assert Participant.objects.get(pk=participant["id"]).status == ParticipantStatus.RETURNED
    body = _email_body(mailbox)
    assert "Their assignment was NOT completed (the participant's status is returned)" in body
    assert "completed so that they can be paid" not in body
