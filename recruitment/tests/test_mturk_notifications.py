"""MTurk's events, from SNS messages and from Dallinger's `/notifications` form: each event type's
effect on the newest participant with that assignment, the experiment's hooks run with the
status already changed (Dallinger's abandon/return hooks never ran), and nothing twice."""

import logging

import pytest
from django.test import Client

from core.models import Node, Notification, Participant
from experiments.tests.api_support import create_participant, hook_names, post_form, success
from recruitment.events import MTURK_EVENT_TYPES
from recruitment.tests.sns_support import EXPERIMENT_ID, deliver, events_recorded
from tests.fakes.sns import mturk_event

SUBMISSION_HOOKS = ["data_check", "attention_check", "bonus", "submission_successful", "recruit"]


def working_participant(client, **ids):
    """A working participant with a node: (participant, node)."""
    participant_id = create_participant(client, **ids)["participant"]["id"]
    node_id = success(client.post(f"/node/{participant_id}"))["node"]["id"]
    return Participant.objects.get(pk=participant_id), Node.objects.get(pk=node_id)


def send_events(client, fake_sns, *events):
    return success(deliver(client, fake_sns.notification(EXPERIMENT_ID, list(events))))


@pytest.mark.parametrize(
    "event, status, hooks, node_failed",
    [
        ("AssignmentAccepted", "working", [], False),
        ("AssignmentAbandoned", "abandoned", ["assignment_abandoned"], True),
        ("AssignmentReturned", "returned", ["assignment_returned"], True),
        ("AssignmentSubmitted", "approved", SUBMISSION_HOOKS, False),
    ],
)
def test_each_event_changes_the_participant_through_the_experiments_hooks(
    client, fake_sns, sns_experiment, event, status, hooks, node_failed
):
    participant, node = working_participant(client)
    before = len(hook_names())

    send_events(client, fake_sns, mturk_event(event, participant.assignment_id))

    assert Participant.objects.get(pk=participant.pk).status == status
    assert hook_names()[before:] == hooks
    assert Node.objects.get(pk=node.pk).failed is node_failed


def test_a_participant_who_finished_here_is_processed_when_mturk_says_they_submitted(client, fake_sns, sns_experiment):
    """MTurk's flow: /worker_complete only records that the submission started (the recruiter
    waits for MTurk's word); AssignmentSubmitted then processes it, once."""
    participant, _ = working_participant(client)
    Participant.objects.filter(pk=participant.pk).update(status="recruiter_submission_started")
    before = len(hook_names())

    send_events(client, fake_sns, mturk_event("AssignmentSubmitted", participant.assignment_id))
    send_events(client, fake_sns, mturk_event("AssignmentSubmitted", participant.assignment_id))

    assert Participant.objects.get(pk=participant.pk).status == "approved"
    assert hook_names()[before:] == SUBMISSION_HOOKS


@pytest.mark.parametrize("event", ["AssignmentAbandoned", "AssignmentReturned"])
def test_the_abandon_and_return_hooks_run_and_see_the_status_they_ended_with(
    client, fake_sns, sns_experiment, monkeypatch, event
):
    """Dallinger sets the status before its worker checks that the participant is still
    working, so these hooks never run there; here the status and the hook are one step."""
    participant, node = working_participant(client)
    seen = []
    hook = "assignment_abandoned" if event == "AssignmentAbandoned" else "assignment_returned"
    original = getattr(sns_experiment.experiment_class, hook)

    def spy(self, participant):
        seen.append(Participant.objects.get(pk=participant.pk).status)
        original(self, participant=participant)

    monkeypatch.setattr(sns_experiment.experiment_class, hook, spy)

    send_events(client, fake_sns, mturk_event(event, participant.assignment_id))

    expected = "abandoned" if event == "AssignmentAbandoned" else "returned"
    assert seen == [expected]
    assert Node.objects.get(pk=node.pk).failed


def test_one_message_with_several_events_applies_each(client, fake_sns, sns_experiment):
    accepted, _ = working_participant(client)
    returning, returning_node = working_participant(client)
    submitting, _ = working_participant(client)

    send_events(
        client,
        fake_sns,
        mturk_event("AssignmentAccepted", accepted.assignment_id),
        mturk_event("AssignmentReturned", returning.assignment_id),
        mturk_event("HITReviewable"),
        mturk_event("AssignmentSubmitted", submitting.assignment_id),
    )

    statuses = {p.pk: p.status for p in Participant.objects.all()}
    assert statuses == {accepted.pk: "working", returning.pk: "returned", submitting.pk: "approved"}
    assert Node.objects.get(pk=returning_node.pk).failed
    assert events_recorded() == [
        ("AssignmentAccepted", accepted.assignment_id),
        ("AssignmentReturned", returning.assignment_id),
        ("AssignmentSubmitted", submitting.assignment_id),
    ]


def test_the_same_event_in_a_second_message_changes_nothing(client, fake_sns, sns_experiment):
    participant, _ = working_participant(client)
    for event in ("AssignmentSubmitted", "AssignmentReturned"):
        send_events(client, fake_sns, mturk_event(event, participant.assignment_id))
    before = hook_names()

    send_events(client, fake_sns, mturk_event("AssignmentSubmitted", participant.assignment_id))
    send_events(client, fake_sns, mturk_event("AssignmentReturned", participant.assignment_id))

    assert Participant.objects.get(pk=participant.pk).status == "approved"
    assert hook_names() == before
    assert before.count("data_check") == 1


def test_the_newest_participant_with_the_assignment_is_the_one_changed(
    client, fake_sns, sns_experiment, make_participant
):
    older = make_participant(worker_id="first-worker", assignment_id="SHARED1")
    newer = make_participant(worker_id="first-worker", assignment_id="SHARED1")

    send_events(client, fake_sns, mturk_event("AssignmentReturned", "SHARED1"))

    assert Participant.objects.get(pk=newer.pk).status == "returned"
    assert Participant.objects.get(pk=older.pk).status == "working"


@pytest.mark.parametrize("event", ["HITReviewable", "HITExpired", "AssignmentApproved", "Ping", "SomethingNew"])
def test_events_that_need_nothing_and_unknown_ones_are_acknowledged(client, fake_sns, sns_experiment, caplog, event):
    participant, _ = working_participant(client)
    caplog.set_level(logging.INFO, logger="recruitment.events")
    before = hook_names()

    send_events(client, fake_sns, mturk_event(event, participant.assignment_id))

    assert Participant.objects.get(pk=participant.pk).status == "working"
    assert hook_names() == before
    assert events_recorded() == []
    assert any(event in record.getMessage() and "acknowledged" in record.getMessage() for record in caplog.records)


def test_a_submission_for_nobody_is_written_down_as_an_error_not_raised(client, fake_sns, sns_experiment, caplog):
    caplog.set_level(logging.ERROR, logger="recruitment.events")

    send_events(client, fake_sns, mturk_event("AssignmentSubmitted", "NOBODY-HAS-THIS"))

    notification = Notification.objects.exclude(event_type="hook").get()
    assert "NOBODY-HAS-THIS" in notification.details["error"]
    assert any("NOBODY-HAS-THIS" in record.getMessage() for record in caplog.records)


def test_another_event_for_nobody_is_logged_and_skipped(client, fake_sns, sns_experiment):
    send_events(client, fake_sns, mturk_event("AssignmentReturned", "NOBODY-HAS-THIS"))
    assert "error" not in Notification.objects.exclude(event_type="hook").get().details


# Dallinger's form, on /notifications


@pytest.mark.parametrize("event", [*MTURK_EVENT_TYPES, "NotificationMissing", "SomethingNew"])
def test_notifications_accepts_every_mturk_event_type_in_dallingers_form(
    client, sns_experiment, django_capture_on_commit_callbacks, event
):
    sns_experiment.config.set("accept_unverified_notifications", True)
    participant, _ = working_participant(client)
    params = {"Event.1.EventType": event, "Event.1.AssignmentId": participant.assignment_id}

    with django_capture_on_commit_callbacks(execute=True):
        response = post_form(Client(), "/notifications", params)

    assert success(response) == {"status": "success"}
    assert response["Access-Control-Allow-Origin"] == "*"
    expected = {"AssignmentAbandoned": "abandoned", "AssignmentReturned": "returned",
                "AssignmentSubmitted": "approved", "NotificationMissing": "missing_notification"}  # fmt: skip
    assert Participant.objects.get(pk=participant.pk).status == expected.get(event, "working")


def test_a_hit_event_needs_no_assignment_on_notifications(client, sns_experiment):
    sns_experiment.config.set("accept_unverified_notifications", True)
    response = post_form(client, "/notifications", {"Event.1.EventType": "HITExpired"})
    assert success(response) == {"status": "success"}
    assert events_recorded() == []


def test_notifications_stay_off_by_default_while_sns_works(client, fake_sns, sns_experiment):
    participant, _ = working_participant(client)
    params = {"Event.1.EventType": "AssignmentReturned", "Event.1.AssignmentId": participant.assignment_id}

    refused = post_form(Client(), "/notifications", params)
    assert refused.status_code == 403
    assert Participant.objects.get(pk=participant.pk).status == "working"

    send_events(client, fake_sns, mturk_event("AssignmentReturned", participant.assignment_id))
    assert Participant.objects.get(pk=participant.pk).status == "returned"
