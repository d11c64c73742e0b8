"""A participant whose recruiter is not installed here: recorded as Dallinger records them; what
needs the recruiter later (exit page, submission, approval) says so and changes nothing."""

import logging

import pytest

from core.models import Participant, ParticipantStatus
from experiments import runtime
from experiments.services.review import participant_approve
from experiments.tests.api_support import assert_error, post_form, success
from recruitment.models import Payment, SubmissionSettlement


@pytest.fixture
def stranger(client, bartlett, caplog):
    """A participant who arrived from `cloudresearch`, a recruiter this server does not have."""
    with caplog.at_level(logging.WARNING, logger="experiments.api.participants"):
        response = post_form(client, "/participant/W1/H1/A1/debug", {"recruiter": "cloudresearch"})
    return success(response)["participant"]


def test_a_participant_from_a_recruiter_not_installed_is_recorded_with_a_warning(stranger, caplog):
    assert stranger["recruiter"] == "cloudresearch"
    assert Participant.objects.get(pk=stranger["id"]).recruiter_id == "cloudresearch"
    warnings = [record.getMessage() for record in caplog.get_records("setup")]
    assert any("'cloudresearch', which is not installed here" in message for message in warnings)


def test_submitting_needs_the_recruiter_and_changes_nothing_without_it(client, stranger):
    response = client.post("/worker_complete", {"participant_id": stranger["id"]})

    body = assert_error(response, 409, error_code="recruiter_not_installed")
    assert "'cloudresearch'" in body["message"] and "not installed" in body["message"]
    participant = Participant.objects.get(pk=stranger["id"])
    assert (participant.status, participant.end_time, participant.base_pay) == (ParticipantStatus.WORKING, None, None)
    assert not SubmissionSettlement.objects.exists() and not Payment.objects.exists()


def test_the_exit_page_says_the_recruiter_is_missing(client, stranger):
    response = client.get(f"/recruiter-exit?participant_id={stranger['id']}")

    assert response.status_code == 409
    assert "not installed here" in response.content.decode()


def test_approving_from_the_dashboard_is_refused_with_nothing_paid(stranger):
    result = participant_approve(experiment=runtime.experiment(), participant_id=stranger["id"])

    assert result.level == "error"
    assert "not installed here" in result.message
    assert Participant.objects.get(pk=stranger["id"]).status == ParticipantStatus.WORKING
    assert not Payment.objects.exists()
