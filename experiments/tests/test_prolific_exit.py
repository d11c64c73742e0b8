"""The Prolific end of a participant's work: the exit page, `/prolific-submission-listener`,
and the status checks that bring participants in step with their Prolific submissions."""

import pytest
from django.test import Client

from core.models import Participant, ParticipantStatus
from experiments.tests.api_support import TEST_EXPERIMENTS, assert_error, hook_names, post_form, success
from experiments.tests.test_realtime_replaced import replace, seated_with_a_node
from recruitment import clock, tasks
from recruitment.models import Payment
from recruitment.payments import ledger
from recruitment.prolific.codes import code_for

EXPERIMENT_ID = "9b2c1f0e-1d2c-4b3a-8f7e-6d5c4b3a2f1e"


@pytest.fixture
def prolific_experiment(db, use_experiment, fake_prolific):
    """The `recording` experiment recruiting through a published study on the fake Prolific."""
    loaded = use_experiment(
        TEST_EXPERIMENTS / "recording",
        id=EXPERIMENT_ID,
        recruiter="prolific",
        mode="live",
        publish_experiment=True,
        base_payment=1.0,
        title="Recording",
        description="A test study.",
        prolific_api_token=fake_prolific.token,
        prolific_api_base_url=fake_prolific.base_url,
        prolific_workspace="My workspace",
        prolific_project="Tests",
        prolific_estimated_completion_minutes=3,
        prolific_completion_config='{"FAILED_ATTENTION_CHECK": {"actions": [{"action": "MANUALLY_REVIEW"}]}}',
    )
    from experiments import runtime

    runtime.experiment().recruiter.open_recruitment(n=5)
    return loaded


@pytest.fixture
def study_id():
    from recruitment.models import ProlificStudy

    return ProlificStudy.objects.get(experiment=EXPERIMENT_ID).study_id


@pytest.fixture
def joined(fake_prolific, study_id, make_participant):
    """A participant who arrived from the study (held by the test's browser), and their submission."""

    def join(**fields):
        submission = fake_prolific.start_submission(study_id)
        fields.setdefault("status", "working")
        participant = make_participant(
            recruiter_id="prolific", worker_id=submission["participant_id"], assignment_id=submission["id"],
            hit_id=study_id, mode="live", **fields,
        )  # fmt: skip
        return participant, submission["id"]

    return join


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run `call()` and then what it left to run once its transaction commits (the tasks)."""

    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            return call()

    return run


def listener(client, participant, **extra):
    data = {"assignmentId": participant.assignment_id, "participantId": participant.pk, **extra}
    return post_form(client, "/prolific-submission-listener", data)


def test_the_listener_processes_the_submission_once_and_approval_waits_for_prolific(
    client, prolific_experiment, joined, fake_prolific, committed
):
    participant, submission_id = joined(status="recruiter_submission_started")

    response = committed(lambda: listener(client, participant))
    success(response)
    assert response["Access-Control-Allow-Origin"] == "*"
    success(committed(lambda: listener(client, participant)))

    participant.refresh_from_db()
    assert participant.status == "approved"
    assert hook_names().count("data_check") == 1
    base = Payment.objects.get(kind="base")
    # The browser has not reached Prolific yet: nothing approved, the payout waits.
    assert (base.state, fake_prolific.approvals) == ("intended", [])

    fake_prolific.complete_submission(submission_id, code_for(EXPERIMENT_ID))
    committed(tasks.recruiter_status_check)

    base.refresh_from_db()
    assert base.state == "sent"
    assert fake_prolific.approvals == [submission_id]


def test_the_listener_refuses_unknown_participants_and_a_wrong_assignment(client, prolific_experiment, joined):
    participant, _ = joined(status="recruiter_submission_started")

    assert_error(post_form(client, "/prolific-submission-listener", {"participantId": "999999"}), 400,
                 error_code="participant_not_found")  # fmt: skip
    assert_error(post_form(client, "/prolific-submission-listener", {}), 400)
    assert_error(listener(client, participant, assignmentId="someone-else"), 400, error_code="assignment_mismatch")
    assert_error(listener(Client(), participant), 403, error_code="participant_not_yours")

    participant.refresh_from_db()
    assert participant.status == "recruiter_submission_started"
    assert not Payment.objects.exists()


def test_worker_complete_only_marks_the_submission_started(client, prolific_experiment, joined):
    participant, _ = joined()

    success(post_form(client, "/worker_complete", {"participant_id": participant.pk}))

    participant.refresh_from_db()
    assert participant.status == "recruiter_submission_started"
    assert not Payment.objects.exists()


def test_the_exit_page_gives_the_completion_code_to_the_participants_browser_only(client, prolific_experiment, joined):
    participant, _ = joined(status="recruiter_submission_started")
    code = code_for(EXPERIMENT_ID)

    page = client.get("/recruiter-exit", {"participant_id": participant.pk}).content.decode()
    stranger = Client().get("/recruiter-exit", {"participant_id": participant.pk}).content.decode()

    assert f'data-completion-url="https://app.prolific.com/submissions/complete?cc={code}"' in page
    assert 'action="/prolific-submission-listener"' in page and "Submit Study" in page
    assert code not in stranger


def test_the_experiment_chooses_the_code_type_and_an_unknown_one_falls_back(
    client, prolific_experiment, joined, monkeypatch, caplog
):
    from experiments import runtime

    participant, _ = joined(status="recruiter_submission_started")
    experiment_class = type(runtime.experiment())

    monkeypatch.setattr(experiment_class, "recruiter_exit_info", lambda self, p: "FAILED_ATTENTION_CHECK")
    page = client.get("/recruiter-exit", {"participant_id": participant.pk}).content.decode()
    assert f"cc={code_for(EXPERIMENT_ID, 'FAILED_ATTENTION_CHECK')}" in page

    monkeypatch.setattr(experiment_class, "recruiter_exit_info", lambda self, p: "NO_SUCH_TYPE")
    page = client.get("/recruiter-exit", {"participant_id": participant.pk}).content.decode()
    assert f"cc={code_for(EXPERIMENT_ID)}" in page
    assert "NO_SUCH_TYPE" in caplog.text


def test_the_exit_page_escapes_the_assignment(client, prolific_experiment, make_participant):
    participant = make_participant(recruiter_id="prolific", assignment_id='"><script>alert(1)</script>')

    page = client.get("/recruiter-exit", {"participant_id": participant.pk}).content.decode()

    assert "<script>alert(1)" not in page
    assert "&#34;&gt;&lt;script&gt;" in page


def test_the_status_check_ends_returned_and_timed_out_assignments_with_the_hooks(
    prolific_experiment, joined, fake_prolific
):
    returned, returned_submission = joined()
    timed_out, timed_out_submission = joined()
    still_working, _ = joined()
    fake_prolific.return_submission(returned_submission)
    fake_prolific.time_out_submission(timed_out_submission)

    done = tasks.recruiter_status_check()
    again = tasks.recruiter_status_check()

    statuses = dict(Participant.objects.values_list("pk", "status"))
    assert (statuses[returned.pk], statuses[timed_out.pk], statuses[still_working.pk]) == (
        "returned", "abandoned", "working",
    )  # fmt: skip
    assert done["AssignmentReturned"] == done["AssignmentAbandoned"] == 1
    assert again["AssignmentReturned"] == again["AssignmentAbandoned"] == 0
    assert hook_names().count("assignment_returned") == hook_names().count("assignment_abandoned") == 1
    # Prolific reopens a returned place itself: no places added.
    assert fake_prolific.study(fake_prolific.submission(returned_submission)["study_id"])["total_available_places"] == 5


def test_a_submission_prolific_has_but_the_listener_missed_is_processed_and_approved(
    prolific_experiment, joined, fake_prolific, committed
):
    participant, submission_id = joined(status="recruiter_submission_started")
    fake_prolific.complete_submission(submission_id, code_for(EXPERIMENT_ID))

    committed(tasks.recruiter_status_check)

    participant.refresh_from_db()
    assert participant.status == "approved"
    assert fake_prolific.approvals == [submission_id]


def test_the_status_check_polls_only_without_webhooks_unless_the_clock_is_on(
    prolific_experiment, joined, fake_prolific
):
    participant, submission_id = joined()
    fake_prolific.return_submission(submission_id)
    prolific_experiment.config.set("prolific_webhook_secret", "a-webhook-secret-value")

    assert tasks.recruiter_status_check() is None
    participant.refresh_from_db()
    assert participant.status == "working"

    prolific_experiment.config.set("clock_on", True)
    assert tasks.recruiter_status_check()["AssignmentReturned"] == 1


def test_the_status_check_is_scheduled_every_minute(settings):
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("recruiter_status_check"))
    assert entry["schedule"] == 60.0


@pytest.mark.postgres
def test_a_second_status_check_while_one_runs_does_nothing(prolific_experiment, joined, fake_prolific):
    import threading

    from django.db import connection

    from core.locks import lock_held_try

    participant, submission_id = joined()
    fake_prolific.return_submission(submission_id)
    holding, release = threading.Event(), threading.Event()

    def other_check():
        try:
            with lock_held_try(clock.STATUS_CHECK_LOCK) as taken:
                assert taken
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_check)
    thread.start()
    try:
        assert holding.wait(10)
        assert tasks.recruiter_status_check() is None
    finally:
        release.set()
        thread.join()
    participant.refresh_from_db()
    assert participant.status == "working"
    assert tasks.recruiter_status_check()["AssignmentReturned"] == 1


# A participant a bot replaced: their base payment waits for their submission, then is paid once


def test_a_replaced_prolific_participant_is_paid_once_their_submission_arrives(
    client, prolific_experiment, joined, fake_prolific, committed
):
    participant, submission_id = joined()
    seated_with_a_node(participant)
    committed(lambda: replace(participant))

    # Prolific has no submission to approve yet: the payout waits, owed, and says for what.
    base = Payment.objects.get(participant_id=participant.pk, kind=Payment.Kind.BASE)
    assert base.state == Payment.State.INTENDED
    assert "waiting for the participant to submit" in base.error
    assert fake_prolific.approvals == []
    committed(tasks.settle_overdue)
    committed(tasks.recruiter_status_check)
    base.refresh_from_db()
    assert base.state == Payment.State.INTENDED

    # They come back: the game sends them to the exit page, which gives them the study's code.
    exit_page = client.get(client.get(f"/exp?participant_id={participant.pk}")["Location"])
    html = exit_page.content.decode()
    assert "a computer player took your place" in html
    assert code_for(EXPERIMENT_ID) in html
    success(committed(lambda: listener(client, participant)))
    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.REPLACED

    fake_prolific.complete_submission(submission_id, code_for(EXPERIMENT_ID))
    committed(tasks.recruiter_status_check)
    base.refresh_from_db()
    assert base.state == Payment.State.SENT
    assert fake_prolific.approvals == [submission_id]

    # Later checks, sweeps and settling runs pay nothing more.
    committed(tasks.recruiter_status_check)
    committed(lambda: tasks.settle_submission(participant.pk))
    committed(tasks.settle_overdue)
    assert fake_prolific.approvals == [submission_id]
    assert Payment.objects.filter(participant_id=participant.pk, kind=Payment.Kind.BASE).count() == 1


def test_a_replaced_prolific_participant_who_never_submits_is_shown_unpaid_with_how_to_pay(
    prolific_experiment, joined, fake_prolific, committed
):
    participant, submission_id = joined()
    seated_with_a_node(participant)
    committed(lambda: replace(participant))

    fake_prolific.time_out_submission(submission_id)
    with pytest.raises(ledger.PaymentRefused):
        committed(lambda: tasks.settle_submission(participant.pk))

    # Prolific can no longer approve it: nothing was paid, and the row says how to pay it.
    base = Payment.objects.get(participant_id=participant.pk, kind=Payment.Kind.BASE)
    assert base.state == Payment.State.FAILED
    assert "TIMED-OUT" in base.error and "manage.py compensate" in base.error
    assert fake_prolific.approvals == []
