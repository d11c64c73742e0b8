"""The participant routes: creating participants (path and entry-parameter forms), reading and
loading them, and the refusals the protocol names for each."""

import threading

import pytest
from django.db import connection
from django.test import Client

from core.models import Node, Participant, ParticipantStatus
from experiments.tests.api_support import (
    SENDERS,
    TEST_EXPERIMENTS,
    assert_error,
    create_participant,
    hook_calls,
    post_form,
    post_json,
    success,
)

PARTICIPANT_KEYS = {
    "id",
    "creation_time",
    "failed",
    "failed_reason",
    "time_of_death",
    "property1",
    "property2",
    "property3",
    "property4",
    "property5",
    "details",
    "type",
    "recruiter",
    "assignment_id",
    "hit_id",
    "mode",
    "end_time",
    "base_pay",
    "bonus",
    "status",
    "entry_information",
    "object_type",
}


# POST /participant/<worker_id>/<hit_id>/<assignment_id>/<mode> --------------------------------


def test_create_answers_the_participant_with_its_unique_and_worker_ids(client, bartlett):
    response = client.post("/participant/W1/H1/A1/debug")

    body = success(response)
    participant = body["participant"]
    assert set(participant) == PARTICIPANT_KEYS | {"unique_id", "worker_id"}
    assert participant["unique_id"] == "W1:A1"
    assert participant["worker_id"] == "W1"
    assert participant["hit_id"] == "H1"
    assert participant["assignment_id"] == "A1"
    assert participant["mode"] == "debug"
    assert participant["status"] == "working"
    assert participant["type"] == "participant"
    assert participant["object_type"] == "Participant"
    assert participant["recruiter"] == "hotair"
    assert participant["entry_information"] == {}
    assert participant["details"] == {}
    assert "quorum" not in body
    stored = Participant.objects.get(pk=participant["id"])
    assert (stored.worker_id, stored.unique_id, stored.status) == ("W1", "W1:A1", "working")


@pytest.mark.parametrize("send", SENDERS.values(), ids=SENDERS.keys())
def test_create_takes_the_recruiter_and_fingerprint_from_any_parameter_source(client, bartlett, send):
    response = send(client, "/participant/W1/H1/A1/live", {"recruiter": "cli", "fingerprint_hash": "f1ngerprint"})

    participant = success(response)["participant"]
    assert participant["recruiter"] == "cli"
    assert participant["mode"] == "live"
    assert Participant.objects.get(pk=participant["id"]).fingerprint_hash == "f1ngerprint"


@pytest.mark.parametrize(
    "path",
    [
        "/participant/undefined/H1/A1/debug",
        "/participant/W1/undefined/A1/debug",
        "/participant/W1/H1/undefined/debug",
    ],
)
def test_create_refuses_undefined_ids(client, bartlett, path):
    assert_error(client.post(path), 403, message="undefined")
    assert not Participant.objects.exists()


def test_create_refuses_ids_it_cannot_store(client, bartlett):
    assert_error(client.post(f"/participant/W1/H1/{'A' * 51}/debug"), 400, message="assignment_id")
    assert not Participant.objects.exists()


def test_create_refuses_a_worker_who_already_took_part(client, bartlett):
    create_participant(client, worker_id="W1", assignment_id="A1")

    response = client.post("/participant/W1/H2/A2/debug")

    assert_error(response, 403, error_code="worker_already_participated")
    assert Participant.objects.count() == 1


def test_create_refuses_a_worker_back_on_an_assignment_they_finished(client, bartlett):
    participant = create_participant(client, worker_id="W1", assignment_id="A1")["participant"]
    success(client.post("/worker_complete", {"participant_id": participant["id"]}))

    response = client.post("/participant/W1/H1/A1/debug")

    assert_error(response, 403, error_code="worker_already_participated")
    assert Participant.objects.get().status == "approved"


def test_create_lets_a_worker_take_part_again_when_repeats_are_allowed(client, use_experiment, db):
    use_experiment("bartlett1932", allow_repeat_worker_ids=True)
    first = create_participant(client, worker_id="W1", assignment_id="A1")["participant"]

    second = create_participant(client, worker_id="W1", assignment_id="A2")["participant"]

    assert second["id"] != first["id"]
    assert Participant.objects.filter(worker_id="W1", status="working").count() == 2


def test_same_assignment_again_replaces_the_working_participant_through_the_hook(client, recording):
    recording()
    first = create_participant(client, worker_id="W1", assignment_id="A1")["participant"]
    node_id = success(client.post(f"/node/{first['id']}"))["node"]["id"]

    second = create_participant(client, worker_id="W1", assignment_id="A1")["participant"]

    assert second["id"] != first["id"]
    assert second["status"] == "working"
    earlier = Participant.objects.get(pk=first["id"])
    assert earlier.status == ParticipantStatus.REPLACED
    assert earlier.end_time is not None
    assert hook_calls("assignment_reassigned") == [{"hook": "assignment_reassigned", "participant": first["id"]}]
    assert Node.objects.get(pk=node_id).failed  # the default hook fails the earlier participant's nodes


def test_same_assignment_under_another_worker_is_refused_and_evicts_nobody(client, recording):
    recording()
    first = create_participant(client, worker_id="W1", assignment_id="A1")["participant"]

    answer = post_form(Client(), "/participant/W2/hit1/A1/debug")

    assert_error(answer, 403, error_code="assignment_taken")
    assert Participant.objects.get(pk=first["id"]).status == ParticipantStatus.WORKING
    assert Participant.objects.count() == 1
    assert hook_calls("assignment_reassigned") == []


def test_same_assignment_does_not_replace_a_participant_who_is_no_longer_working(client, recording):
    recording(allow_repeat_worker_ids=True)
    first = create_participant(client, worker_id="W1", assignment_id="A1")["participant"]
    Participant.objects.filter(pk=first["id"]).update(status=ParticipantStatus.RETURNED)

    create_participant(client, worker_id="W1", assignment_id="A1")

    assert Participant.objects.get(pk=first["id"]).status == ParticipantStatus.RETURNED
    assert hook_calls("assignment_reassigned") == []


def test_with_a_quorum_the_answer_carries_it_and_marks_participants_beyond_it(client, recording):
    recording(waiting_room_size=2)

    answers = [create_participant(client) for _ in range(3)]

    assert [answer["quorum"] for answer in answers] == [
        {"q": 2, "n": 1, "overrecruited": False},
        {"q": 2, "n": 2, "overrecruited": False},
        {"q": 2, "n": 3, "overrecruited": True},
    ]
    assert [answer["participant"]["status"] for answer in answers] == ["working", "working", "overrecruited"]
    third = Participant.objects.get(pk=answers[2]["participant"]["id"])
    assert third.status == ParticipantStatus.OVERRECRUITED


def test_quorum_does_not_count_participants_who_have_dropped_out(client, recording):
    recording(waiting_room_size=2)
    first = create_participant(client)["participant"]
    Participant.objects.filter(pk=first["id"]).update(status=ParticipantStatus.RETURNED)

    answer = create_participant(client)

    assert answer["quorum"] == {"q": 2, "n": 1, "overrecruited": False}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_participants_arriving_together_are_counted_one_at_a_time(use_experiment):
    """Real concurrent requests (one thread and connection each): no two get the same place."""
    use_experiment(TEST_EXPERIMENTS / "recording", waiting_room_size=3, arrival_delay=0.05)
    crowd = 10
    barrier = threading.Barrier(crowd)
    answers = [None] * crowd

    def arrive(index):
        try:
            client = Client()
            barrier.wait(timeout=30)
            answers[index] = client.post(f"/participant/W{index}/H1/A{index}/debug").json()
        finally:
            connection.close()

    threads = [threading.Thread(target=arrive, args=(index,)) for index in range(crowd)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(answer["quorum"]["n"] for answer in answers) == list(range(1, crowd + 1))
    assert Participant.objects.filter(status="working").count() == 3
    assert Participant.objects.filter(status="overrecruited").count() == crowd - 3


# POST /participant (the recruiter's entry parameters) ------------------------------------------


@pytest.mark.parametrize(
    "ids",
    [
        {"workerId": "W1", "hitId": "H1", "assignmentId": "A1"},
        {"worker_id": "W1", "hit_id": "H1", "assignment_id": "A1"},
        {"PROLIFIC_PID": "W1", "STUDY_ID": "H1", "SESSION_ID": "A1"},
    ],
    ids=["camel-case", "snake-case", "prolific"],
)
@pytest.mark.parametrize("send", SENDERS.values(), ids=SENDERS.keys())
def test_entry_creates_a_participant_from_the_recruiters_parameters(client, bartlett, ids, send):
    params = {**ids, "mode": "sandbox", "fingerprint_hash": "f1", "recruiter": "cli", "condition": "B"}

    body = success(send(client, "/participant", params))

    participant = body["participant"]
    assert (participant["worker_id"], participant["hit_id"], participant["assignment_id"]) == ("W1", "H1", "A1")
    assert participant["unique_id"] == "W1:A1"
    assert participant["mode"] == "sandbox"
    assert participant["recruiter"] == "cli"
    # Everything but the ids, the mode and the fingerprint is kept for the experimenter.
    assert participant["entry_information"] == {"condition": "B", "recruiter": "cli"}
    stored = Participant.objects.get(pk=participant["id"])
    assert stored.fingerprint_hash == "f1"
    assert stored.entry_information == {"condition": "B", "recruiter": "cli"}


def test_entry_takes_the_mode_from_the_configuration_when_none_is_given(client, bartlett):
    participant = success(post_form(client, "/participant", {"workerId": "W1", "hitId": "H1", "assignmentId": "A1"}))[
        "participant"
    ]

    assert participant["mode"] == "debug"
    assert participant["entry_information"] == {}


def test_entry_refuses_parameters_without_an_assignment_id(client, bartlett):
    response = post_form(client, "/participant", {"workerId": "W1", "hitId": "H1", "mode": "debug"})

    assert_error(response, 400, message="assignment")
    assert not Participant.objects.exists()


@pytest.mark.parametrize("missing", ["workerId", "hitId"])
def test_entry_without_a_worker_or_hit_id_is_a_bad_request(client, bartlett, missing):
    params = {"workerId": "W1", "hitId": "H1", "assignmentId": "A1"}
    del params[missing]

    assert_error(post_form(client, "/participant", params), 400, message="required")
    assert not Participant.objects.exists()


def test_entry_applies_the_same_refusals_as_the_path_form(client, bartlett):
    create_participant(client, worker_id="W1", assignment_id="A1")

    repeat = post_form(client, "/participant", {"workerId": "W1", "hitId": "H1", "assignmentId": "A2"})
    undefined = post_form(client, "/participant", {"workerId": "undefined", "hitId": "H1", "assignmentId": "A3"})

    assert_error(repeat, 403, error_code="worker_already_participated")
    assert_error(undefined, 403)
    assert Participant.objects.count() == 1


def test_entry_with_a_quorum_carries_it(client, recording):
    recording(waiting_room_size=3)

    body = success(post_form(client, "/participant", {"workerId": "W1", "hitId": "H1", "assignmentId": "A1"}))

    assert body["quorum"] == {"q": 3, "n": 1, "overrecruited": False}


def test_a_body_neither_form_nor_json_is_ignored_and_the_query_string_read(client, bartlett):
    response = client.post(
        "/participant?workerId=W1&hitId=H1&assignmentId=A1&colour=red", "ping", content_type="text/plain"
    )

    participant = success(response)["participant"]
    assert (participant["assignment_id"], participant["entry_information"]) == ("A1", {"colour": "red"})


def test_a_body_that_is_not_json_is_a_bad_request_not_a_crash(client, bartlett):
    response = client.post("/participant", "{not json", content_type="application/json")

    assert_error(response, 400, message="JSON")
    assert not Participant.objects.exists()


def test_a_json_body_that_is_not_an_object_is_a_bad_request(client, bartlett):
    response = client.post("/participant", "[1, 2]", content_type="application/json")

    assert_error(response, 400)


# GET /participant/<id> ---------------------------------------------------------------------------


def test_get_answers_the_participant_without_its_private_ids(client, bartlett):
    created = create_participant(client, worker_id="W1", assignment_id="A1")["participant"]

    participant = success(client.get(f"/participant/{created['id']}"))["participant"]

    assert set(participant) == PARTICIPANT_KEYS
    assert participant["id"] == created["id"]
    assert participant["assignment_id"] == "A1"
    assert participant["status"] == "working"


@pytest.mark.parametrize("participant_id", ["999", "abc", "-1"])
def test_get_refuses_an_unknown_participant(client, bartlett, participant_id):
    assert_error(client.get(f"/participant/{participant_id}"), 403, error_code="participant_not_found")


# POST /load-participant --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["assignment_id", "assignmentId", "SESSION_ID"])
def test_load_answers_the_participant_of_the_assignment(client, bartlett, name):
    created = create_participant(client, assignment_id="A1")["participant"]

    participant = success(post_form(client, "/load-participant", {name: "A1"}))["participant"]

    assert participant["id"] == created["id"]
    assert "worker_id" not in participant


def test_load_takes_a_json_body(client, bartlett):
    created = create_participant(client, assignment_id="A1")["participant"]

    assert (
        success(post_json(client, "/load-participant", {"assignment_id": "A1"}))["participant"]["id"] == created["id"]
    )


def test_load_without_an_assignment_id_is_refused_with_its_code(client, bartlett):
    assert_error(client.post("/load-participant"), 403, error_code="assignment_id_missing")


def test_load_of_an_unknown_assignment_is_refused_with_its_code(client, bartlett):
    create_participant(client, assignment_id="A1")

    response = post_form(client, "/load-participant", {"assignment_id": "A2"})

    assert_error(response, 403, error_code="participant_not_found")
