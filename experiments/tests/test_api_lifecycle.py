"""The end of a participant's work and the experiment as a whole: questions, submission,
failure, recruiter notifications, the summary, public properties, launching, and the exit
and error pages."""

import logging
import re

import pytest
from django.test import Client

from core.models import Network, Node, Notification, Participant, ParticipantStatus, Question, Recruitment
from experiments.tests.api_support import SENDERS, assert_error, create_participant, hook_names, post_form, success
from recruitment.base import HotAirRecruiter
from recruitment.recruiters import NEW_RECRUIT_LOG_PREFIX


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Make a request and run what it enqueued for after commit (the Celery tasks run eagerly)."""

    def run(send, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return send(*args, **kwargs)

    return run


@pytest.fixture
def recruiter_log(caplog):
    """The recruiters' log lines (hotair logs what a real recruiter would do)."""
    caplog.set_level(logging.INFO, logger="recruitment")
    return lambda: [record.getMessage() for record in caplog.records if record.name.startswith("recruitment")]


def _participant_with_node(client) -> tuple[int, int]:
    participant = create_participant(client)["participant"]
    node = success(client.post(f"/node/{participant['id']}"))["node"]
    return participant["id"], node["id"]


def _answer(client, participant_id, question, response, number=1):
    return success(
        post_form(client, f"/question/{participant_id}", {"question": question, "response": response, "number": number})
    )


# POST /question/<participant_id> -----------------------------------------------------------------


@pytest.mark.parametrize("send", SENDERS.values(), ids=SENDERS.keys())
def test_question_is_stored_and_answered_with_the_bare_envelope(client, bartlett, send):
    participant = create_participant(client)["participant"]

    response = send(
        client, f"/question/{participant['id']}", {"question": "q1", "response": '{"age": 30}', "number": 2}
    )

    assert success(response) == {"status": "success"}
    question = Question.objects.get()
    assert (question.participant_id, question.question, question.response, question.number) == (
        participant["id"], "q1", '{"age": 30}', 2,
    )  # fmt: skip


def test_question_takes_question_id_as_the_number(client, bartlett):
    participant = create_participant(client)["participant"]

    success(post_form(client, f"/question/{participant['id']}", {"question": "q", "response": "r", "question_id": 7}))

    assert Question.objects.get().number == 7


def test_question_for_an_unknown_participant_is_refused(client, bartlett):
    response = post_form(client, "/question/999", {"question": "q", "response": "r", "number": 1})

    assert_error(response, 403, error_code="participant_not_found")
    assert not Question.objects.exists()


@pytest.mark.parametrize(
    "params, message",
    [
        ({"question": "q", "response": "r", "number": "first"}, "number"),
        ({"question": "q", "response": "r"}, "number"),
        ({"response": "r", "number": 1}, "question"),
        ({"question": "q", "number": 1}, "response"),
    ],
)
def test_question_with_bad_or_missing_fields_is_a_bad_request(client, bartlett, params, message):
    participant = create_participant(client)["participant"]

    assert_error(post_form(client, f"/question/{participant['id']}", params), 400, message=message)
    assert not Question.objects.exists()


def test_question_longer_than_question_max_length_is_a_bad_request(client, use_experiment, db):
    use_experiment("bartlett1932", question_max_length=10)
    participant = create_participant(client)["participant"]
    url = f"/question/{participant['id']}"

    success(post_form(client, url, {"question": "q" * 10, "response": "r" * 10, "number": 1}))
    assert_error(post_form(client, url, {"question": "q", "response": "r" * 11, "number": 2}), 400, message="10")
    assert_error(post_form(client, url, {"question": "q" * 11, "response": "r", "number": 3}), 400, message="10")
    assert list(Question.objects.values_list("number", flat=True)) == [1]


def test_question_max_length_defaults_to_a_thousand(client, bartlett):
    participant = create_participant(client)["participant"]
    url = f"/question/{participant['id']}"

    success(post_form(client, url, {"question": "q", "response": "r" * 1000, "number": 1}))
    assert_error(post_form(client, url, {"question": "q", "response": "r" * 1001, "number": 2}), 400)


# /worker_complete ------------------------------------------------------------------------------


def test_worker_complete_approves_with_the_configured_base_pay(client, bartlett, committed, recruiter_log):
    participant = create_participant(client)["participant"]

    body = success(committed(client.get, "/worker_complete", {"participant_id": participant["id"]}))

    assert body == {"status": "success"}
    stored = Participant.objects.get(pk=participant["id"])
    assert (stored.status, stored.base_pay, stored.bonus) == ("approved", 1.0, 0.0)
    assert stored.end_time is not None
    # Bartlett's recruit() asks for one more participant while its chain is not full.
    assert any(line.startswith(NEW_RECRUIT_LOG_PREFIX) for line in recruiter_log())


def test_a_recruiter_failing_after_the_commit_is_logged_and_the_submission_still_succeeds(
    client, bartlett, committed, monkeypatch, caplog
):
    # Without Redis the recruiter is called in process once the submission is saved: its
    # error must not turn the participant's answer into a server error.
    def site_down(self, assignment_id):
        raise RuntimeError("the recruiter's site is down")

    monkeypatch.setattr(HotAirRecruiter, "approve_hit", site_down)
    participant = create_participant(client)["participant"]

    body = success(committed(client.get, "/worker_complete", {"participant_id": participant["id"]}))

    assert body == {"status": "success"}
    assert Participant.objects.get(pk=participant["id"]).status == "approved"
    [failure] = [record for record in caplog.records if record.name == "core.background"]
    assert "settle_submission" in failure.getMessage()
    assert "site is down" in failure.exc_text


@pytest.mark.parametrize("send", SENDERS.values(), ids=SENDERS.keys())
def test_worker_complete_takes_a_post_from_any_parameter_source(client, bartlett, send):
    participant = create_participant(client)["participant"]

    success(send(client, "/worker_complete", {"participant_id": participant["id"]}))

    assert Participant.objects.get(pk=participant["id"]).status == "approved"


def test_worker_complete_runs_the_checks_then_pays_the_experiments_bonus(client, recording, committed, recruiter_log):
    recording()
    participant_id, node_id = _participant_with_node(client)
    for contents in ("one", "two", "three"):
        success(post_form(client, f"/info/{node_id}", {"contents": contents}))
    _answer(client, participant_id, "attention", "blue")

    success(committed(client.get, "/worker_complete", {"participant_id": participant_id}))

    stored = Participant.objects.get(pk=participant_id)
    assert (stored.status, stored.base_pay, stored.bonus) == ("approved", 1.5, 0.3)
    assert hook_names()[-5:] == ["data_check", "attention_check", "bonus", "submission_successful", "recruit"]
    assert any("$0.30" in line for line in recruiter_log())


def test_worker_complete_with_bad_data_fails_the_participant_and_recruits_a_replacement(
    client, recording, committed, recruiter_log
):
    recording()
    participant_id, node_id = _participant_with_node(client)
    _answer(client, participant_id, "story", "garbled")

    success(committed(client.get, "/worker_complete", {"participant_id": participant_id}))

    stored = Participant.objects.get(pk=participant_id)
    assert stored.status == ParticipantStatus.BAD_DATA
    assert stored.bonus is None
    assert Node.objects.get(pk=node_id).failed
    assert hook_names()[-2:] == ["data_check", "data_check_failed"]
    assert Recruitment.objects.count() == 1
    assert any(line.startswith(NEW_RECRUIT_LOG_PREFIX) for line in recruiter_log())


def test_worker_complete_without_attention_marks_did_not_attend_and_recruits_a_replacement(
    client, recording, committed
):
    recording()
    participant_id, node_id = _participant_with_node(client)
    _answer(client, participant_id, "attention", "green")

    success(committed(client.get, "/worker_complete", {"participant_id": participant_id}))

    assert Participant.objects.get(pk=participant_id).status == ParticipantStatus.DID_NOT_ATTEND
    assert Node.objects.get(pk=node_id).failed
    assert hook_names()[-3:] == ["data_check", "attention_check", "attention_check_failed"]
    assert Recruitment.objects.count() == 1


def test_worker_complete_is_idempotent(client, recording, committed):
    recording()
    participant_id, _ = _participant_with_node(client)
    _answer(client, participant_id, "story", "garbled")
    success(committed(client.get, "/worker_complete", {"participant_id": participant_id}))
    first_end = Participant.objects.get(pk=participant_id).end_time

    success(committed(client.post, "/worker_complete", {"participant_id": participant_id}))

    stored = Participant.objects.get(pk=participant_id)
    assert (stored.status, stored.end_time) == (ParticipantStatus.BAD_DATA, first_end)
    assert hook_names().count("data_check") == 1
    assert Recruitment.objects.count() == 1


@pytest.mark.parametrize(
    "params, error_code",
    [({}, None), ({"participant_id": "999"}, "participant_not_found"), ({"participant_id": "x"}, None)],
)
def test_worker_complete_without_a_known_participant_is_a_bad_request(client, bartlett, params, error_code):
    assert_error(client.get("/worker_complete", params), 400, error_code=error_code, message="participant")


# GET /worker_failed ------------------------------------------------------------------------------


def test_worker_failed_answers_dallingers_envelope_and_records_the_end(client, bartlett):
    participant = create_participant(client)["participant"]

    body = success(client.get("/worker_failed", {"participant_id": participant["id"]}))

    assert body == {"status": "success", "field": "status", "data": "success", "request_type": "worker failed"}
    stored = Participant.objects.get(pk=participant["id"])
    assert stored.end_time is not None
    assert stored.status == "working"  # only bots are rejected


def test_worker_failed_rejects_a_working_bot_and_fails_its_nodes(client, bartlett, make_participant):
    bot = make_participant(recruiter_id="bots:HighPerformanceBot")
    node = success(client.post(f"/node/{bot.pk}"))["node"]

    success(client.get("/worker_failed", {"participant_id": bot.pk}))

    assert Participant.objects.get(pk=bot.pk).status == ParticipantStatus.REJECTED
    assert Node.objects.get(pk=node["id"]).failed


@pytest.mark.parametrize("params", [{}, {"participant_id": "999"}])
def test_worker_failed_without_a_known_participant_is_a_bad_request(client, bartlett, params):
    assert_error(client.get("/worker_failed", params), 400)


# /notifications ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "event, status, hooks",
    [
        ("AssignmentAccepted", "working", []),
        ("AssignmentAbandoned", "abandoned", ["assignment_abandoned"]),
        ("AssignmentReturned", "returned", ["assignment_returned"]),
        (
            "AssignmentSubmitted",
            "approved",
            ["data_check", "attention_check", "bonus", "submission_successful", "recruit"],
        ),
        ("NotificationMissing", "missing_notification", []),
    ],
)
def test_notification_changes_the_participants_status_through_the_hooks(
    client, recording, committed, event, status, hooks
):
    recording(accept_unverified_notifications=True)
    participant_id, node_id = _participant_with_node(client)
    assignment_id = Participant.objects.get(pk=participant_id).assignment_id
    before = len(hook_names())

    response = committed(
        post_form, client, "/notifications", {"Event.1.EventType": event, "Event.1.AssignmentId": assignment_id}
    )

    assert success(response) == {"status": "success"}
    assert Participant.objects.get(pk=participant_id).status == status
    assert hook_names()[before:] == hooks
    assert Node.objects.get(pk=node_id).failed == (event in ("AssignmentAbandoned", "AssignmentReturned"))
    notification = Notification.objects.exclude(event_type="hook").get()
    assert (notification.event_type, notification.assignment_id) == (event, assignment_id)


def test_notifications_are_refused_unless_the_configuration_trusts_them(client, recording, committed):
    """Anyone can reach /notifications: by default it changes nobody's status (an unsigned
    "AssignmentSubmitted" would otherwise approve and pay a participant who did no work)."""
    recording()
    participant_id, _ = _participant_with_node(client)
    stranger = Client()

    refused = committed(
        post_form, stranger, "/notifications", {"Event.1.EventType": "AssignmentSubmitted", "participant_id": participant_id}
    )

    assert_error(refused, 403, error_code="notifications_off")
    assert Participant.objects.get(pk=participant_id).status == "working"
    assert not Notification.objects.exclude(event_type="hook").exists()


def test_notifications_are_post_only(client, recording, committed):
    recording(accept_unverified_notifications=True)
    participant_id, _ = _participant_with_node(client)

    response = committed(
        client.get, "/notifications", {"Event.1.EventType": "AssignmentReturned", "participant_id": participant_id}
    )

    assert_error(response, 405)
    assert Participant.objects.get(pk=participant_id).status == "working"


def test_notification_leaves_a_participant_who_is_no_longer_working_alone(client, recording, committed):
    recording(accept_unverified_notifications=True)
    participant_id, _ = _participant_with_node(client)
    success(committed(client.get, "/worker_complete", {"participant_id": participant_id}))
    assignment_id = Participant.objects.get(pk=participant_id).assignment_id

    for event in ("AssignmentAbandoned", "AssignmentSubmitted"):
        committed(
            post_form, client, "/notifications", {"Event.1.EventType": event, "Event.1.AssignmentId": assignment_id}
        )

    assert Participant.objects.get(pk=participant_id).status == "approved"
    assert hook_names().count("data_check") == 1


@pytest.mark.parametrize(
    "params, message",
    [
        ({"Event.1.AssignmentId": "A1"}, "EventType"),
        ({"Event.1.EventType": "AssignmentReturned"}, "AssignmentId"),
    ],
)
def test_notification_without_a_usable_event_is_a_bad_request(client, bartlett, params, message):
    bartlett.config.set("accept_unverified_notifications", True)
    assert_error(post_form(client, "/notifications", params), 400, message=message)
    assert not Notification.objects.exists()


# GET /summary ----------------------------------------------------------------------------------


def test_summary_of_a_fresh_experiment(client, bartlett):
    body = success(client.get("/summary"))

    assert body == {
        "status": "success",
        "summary": [],
        "completed": False,
        "unfilled_networks": 1,
        "nodes_remaining": 3,  # a chain of 4 that holds the story source
        "required_nodes": 4,
    }


def test_summary_counts_participants_by_status_in_order(client, bartlett):
    first, _ = _participant_with_node(client)
    _participant_with_node(client)
    create_participant(client)
    success(client.get("/worker_complete", {"participant_id": first}))

    body = success(client.get("/summary"))

    assert body["summary"] == [["approved", 1], ["working", 2]]
    assert (body["completed"], body["unfilled_networks"], body["nodes_remaining"]) == (False, 1, 1)


def test_summary_is_complete_once_every_network_is_full_and_nobody_works(client, recording):
    recording(chain_length=1)
    participant_id, _ = _participant_with_node(client)

    still_working = success(client.get("/summary"))
    success(client.get("/worker_complete", {"participant_id": participant_id}))
    done = success(client.get("/summary"))

    assert (still_working["completed"], still_working["unfilled_networks"]) == (False, 0)
    assert (done["completed"], done["summary"], done["nodes_remaining"], done["required_nodes"]) == (
        True, [["approved", 1]], 0, 0,
    )  # fmt: skip


# GET /experiment/<property> --------------------------------------------------------------------


@pytest.mark.parametrize("prop, value", [("condition", "control"), ("rounds", 3), ("labels", ["a", "b"])])
def test_experiment_property_answers_a_public_property(client, recording, prop, value):
    recording()
    assert success(client.get(f"/experiment/{prop}")) == {"status": "success", prop: value}


def test_experiment_property_that_is_not_public_is_not_found(client, recording, use_experiment):
    recording()
    assert_error(client.get("/experiment/secret"), 404, message="secret")
    use_experiment("bartlett1932")
    assert_error(client.get("/experiment/condition"), 404)


# POST /launch ----------------------------------------------------------------------------------


def test_launch_sets_up_and_opens_recruitment_once(client, bartlett):
    first = success(client.post("/launch"))
    again = success(client.post("/launch"))

    assert first["recruitment_msg"].startswith("Initial recruitment list:\n")
    assert "/ad?recruiter=hotair" in first["recruitment_msg"]
    assert "Additional details:\n" in first["recruitment_msg"]
    assert again["recruitment_msg"]
    assert Recruitment.objects.filter(recruiter_id="launch").count() == 1
    assert Recruitment.objects.filter(recruiter_id="hotair").count() == 1  # the initial recruit, once
    assert Network.objects.count() == 1
    assert Node.objects.filter(type="war_of_the_ghosts_source").count() == 1


def test_launch_answers_500_with_a_message_when_recruitment_fails(client, use_experiment, db):
    use_experiment("bartlett1932", recruiter="nosuchrecruiter")

    response = client.post("/launch")

    assert response.status_code == 500
    body = response.json()
    assert body["status"] == "error"
    assert "nosuchrecruiter" in body["message"]
    assert "html" not in body
    assert not Recruitment.objects.exists()


# /recruiter-exit, /ad_address, /error-page, /handle-error ----------------------------------------------


def test_recruiter_exit_thanks_the_participant(client, bartlett):
    participant = create_participant(client, assignment_id="A-exit")["participant"]

    response = client.get("/recruiter-exit", {"participant_id": participant["id"]})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Thank you for taking part" in page
    assert "A-exit" in page


@pytest.mark.parametrize(
    "params, status", [({}, 400), ({"participant_id": "999"}, 404), ({"participant_id": "x"}, 404)]
)
def test_recruiter_exit_without_a_known_participant(client, bartlett, params, status):
    response = client.get("/recruiter-exit", params)

    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert "Something went wrong" in response.content.decode()


def test_ad_address_points_at_the_recruiter_exit(client, bartlett):
    assert success(client.get("/ad_address/debug/H1")) == {"status": "success", "address": "/recruiter-exit"}


@pytest.mark.parametrize("method", ["get", "post"])
def test_error_page_carries_the_participants_ids_and_the_request(client, bartlett, method):
    participant = create_participant(client, assignment_id="A-err")["participant"]

    response = getattr(client, method)(
        "/error-page", {"participant_id": participant["id"], "request_data": "route=/node"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert f'name="participant_id" value="{participant["id"]}"' in page
    assert 'name="assignment_id" value="A-err"' in page
    assert 'name="request_data" value="route=/node"' in page
    assert 'action="/handle-error"' in page


def test_error_page_for_an_unknown_participant_still_offers_the_form(client, bartlett):
    response = client.get("/error-page", {"participant_id": "999"})

    assert response.status_code == 200
    assert 'name="participant_id" value=""' in response.content.decode()


def test_handle_error_records_the_feedback_and_completes_the_participant(client, bartlett):
    participant = create_participant(client, assignment_id="A-help")["participant"]

    response = client.post(
        "/handle-error",
        {
            "participant_id": participant["id"],
            "error_feedback": "The page froze after I pressed submit.",
            "error_type": "BadRequest",
            "error_text": "contents is required",
            "request_data": '{"route": "/info/3"}',
        },
        HTTP_USER_AGENT="TestBrowser/1.0",
    )

    assert response.status_code == 200
    assert "Your assignment has been completed" in response.content.decode()
    report = Notification.objects.get(event_type="ExperimentError")
    assert report.assignment_id == "A-help"
    assert report.details["feedback"] == "The page froze after I pressed submit."
    assert (report.details["error_type"], report.details["error_text"]) == ("BadRequest", "contents is required")
    assert report.details["request_data"]["route"] == "/info/3"
    assert report.details["request_data"]["user_agent"] == "TestBrowser/1.0"
    assert Participant.objects.get(pk=participant["id"]).status == "approved"


def test_handle_error_takes_the_form_an_api_error_page_carries(client, bartlett):
    participant = create_participant(client)["participant"]
    Participant.objects.filter(pk=participant["id"]).update(status=ParticipantStatus.SUBMITTED)
    html = assert_error(client.post(f"/node/{participant['id']}"), 400)["html"]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))

    response = client.post("/handle-error", {**fields, "error_feedback": "stuck"})

    assert response.status_code == 200
    report = Notification.objects.get(event_type="ExperimentError")
    assert report.details["participant_id"] == participant["id"]
    assert report.details["feedback"] == "stuck"
    assert "not working" in report.details["error_text"]


def test_handle_error_without_a_participant_still_records_the_feedback(client, bartlett):
    response = client.post("/handle-error", {"error_feedback": "nothing loaded"})

    assert response.status_code == 200
    assert "could not complete your assignment" in response.content.decode()
    report = Notification.objects.get(event_type="ExperimentError")
    assert (report.assignment_id, report.details["feedback"]) == ("unknown", "nothing loaded")


def test_handle_error_only_takes_posts(client, bartlett):
    assert client.get("/handle-error").status_code == 405
    assert not Notification.objects.exists()
