"""The Mechanical Turk recruiter keeping participants in step with MTurk: overdue participants
checked with get_assignment (`verify_status_of`), and qualifications given on completion."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import Notification, Participant, ParticipantStatus
from recruitment.mturk.recruiter import MTurkRecruiter
from recruitment.tests.mturk_support import PUBLIC, assignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def experiment(use_experiment):
    return use_experiment(
        "pushbutton",
        id="exp-mturk",
        recruiter="mturk",
        mode="sandbox",
        duration=1.0,
        base_payment=1.0,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="not-a-secret",
    )


def overdue(participant, minutes_past=5):
    """Make `participant` one who started longer ago than duration (1 h) + 2 minutes."""
    started = timezone.now() - timedelta(hours=1, minutes=2 + minutes_past)
    Participant.objects.filter(pk=participant.pk).update(creation_time=started)
    participant.refresh_from_db()
    return participant


def test_overdue_participants_are_settled_as_mturk_says(
    mturk, experiment, make_participant, django_capture_on_commit_callbacks
):
    approved = overdue(make_participant(recruiter_id="mturk"))
    rejected = overdue(make_participant(recruiter_id="mturk"))
    submitted = overdue(make_participant(recruiter_id="mturk"))
    missing = overdue(make_participant(recruiter_id="mturk"))
    recent = make_participant(recruiter_id="mturk")
    finished = overdue(make_participant(recruiter_id="mturk", status=ParticipantStatus.APPROVED))
    for participant, status in ((approved, "Approved"), (rejected, "Rejected"), (submitted, "Submitted")):
        mturk.expect(
            "get_assignment",
            {"AssignmentId": participant.assignment_id},
            assignment(participant.assignment_id, status, worker_id=participant.worker_id),
        )
    mturk.refuse(
        "get_assignment",
        {"AssignmentId": missing.assignment_id},
        f"Assignment {missing.assignment_id} does not exist. (1700000000000)",
    )
    recruiter = MTurkRecruiter(experiment.config, base_url=PUBLIC)

    with django_capture_on_commit_callbacks(execute=True):
        done = recruiter.verify_status_of([approved, rejected, submitted, missing, recent, finished])

    assert done == {"approved": 1, "rejected": 1, "AssignmentSubmitted": 1, "NotificationMissing": 1}
    statuses = {p.pk: p.status for p in Participant.objects.all()}
    assert statuses[approved.pk] == ParticipantStatus.APPROVED
    assert statuses[rejected.pk] == ParticipantStatus.REJECTED
    assert statuses[missing.pk] == ParticipantStatus.MISSING_NOTIFICATION
    assert statuses[recent.pk] == ParticipantStatus.WORKING
    # The missed submission is recorded as its notification would have been, and processed.
    notification = Notification.objects.get()
    assert (notification.event_type, notification.assignment_id) == ("AssignmentSubmitted", submitted.assignment_id)
    assert notification.details["participant_id"] == submitted.pk
    assert statuses[submitted.pk] == ParticipantStatus.APPROVED


def test_nobody_overdue_means_mturk_is_not_asked(mturk, experiment, make_participant):
    recruiter = MTurkRecruiter(experiment.config, base_url=PUBLIC)
    done = recruiter.verify_status_of([make_participant(recruiter_id="mturk")])
    assert done == {"approved": 0, "rejected": 0, "AssignmentSubmitted": 0, "NotificationMissing": 0}
    assert mturk.built == []


# Qualifications on completion --------------------------------------------------------------------


def expect_qualification(mturk, name, description, *, exists=False, score=None):
    """The calls that raise `name`'s score for worker W1 by one."""
    create = {"Name": name, "Description": description, "QualificationTypeStatus": "Active"}
    if exists:
        mturk.refuse(
            "create_qualification_type", create, "You have already created a QualificationType with this name."
        )
        mturk.expect(
            "list_qualification_types",
            {"Query": name.upper(), "MustBeRequestable": False, "MustBeOwnedByCaller": True, "MaxResults": 100},
            {"QualificationTypes": [{"QualificationTypeId": f"Q-{name}", "Name": name}]},
        )
    else:
        mturk.expect(
            "create_qualification_type",
            create,
            {"QualificationType": {"QualificationTypeId": f"Q-{name}", "Name": name}},
        )
    score_request = {"QualificationTypeId": f"Q-{name}", "WorkerId": "W1"}
    if score is None:
        mturk.refuse("get_qualification_score", score_request, "The qualification does not exist for worker W1.")
    else:
        mturk.expect("get_qualification_score", score_request, {"Qualification": {"IntegerValue": score}})
    mturk.expect(
        "associate_qualification_with_worker",
        {
            "QualificationTypeId": f"Q-{name}",
            "WorkerId": "W1",
            "IntegerValue": (score or 0) + 1,
            "SendNotification": False,
        },
    )


def test_finishing_gives_the_experiment_and_group_qualifications_once(
    mturk, client, experiment, make_participant, django_capture_on_commit_callbacks
):
    experiment.config.set("group_name", "memory, stories")
    participant = make_participant(recruiter_id="mturk", worker_id="W1")
    expect_qualification(mturk, "exp-mturk", "Experiment-specific qualification")
    expect_qualification(mturk, "memory", "Experiment group qualification", exists=True, score=2)
    expect_qualification(mturk, "stories", "Experiment group qualification")

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/worker_complete", {"participant_id": participant.pk}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/worker_complete", {"participant_id": participant.pk}).status_code == 200

    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.RECRUITER_SUBMISSION_STARTED
    assert ("mturk", "https://mturk-requester-sandbox.us-east-1.amazonaws.com") in mturk.built


@pytest.mark.parametrize(
    "setting, status", [(False, ParticipantStatus.WORKING), (True, ParticipantStatus.OVERRECRUITED)]
)
def test_no_qualification_without_assign_qualifications_or_for_the_overrecruited(
    mturk, client, experiment, make_participant, django_capture_on_commit_callbacks, setting, status
):
    experiment.config.set("assign_qualifications", setting)
    participant = make_participant(recruiter_id="mturk", worker_id="W1", status=status)

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/worker_complete", {"participant_id": participant.pk}).status_code == 200

    assert mturk.built == []
