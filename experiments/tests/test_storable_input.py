"""Input that the record could store but not read back, or not store at all, is refused
before anything is written (or, in a participant's error report, made storable).

An unpaired surrogate (`"\\udfff"` in JSON) is stored by SQLite, after which every read of the
row fails; PostgreSQL refuses it, NUL characters, NaN and very deep nesting at write time.
"""

import json

import pytest
from django.test import Client

from core.infos import TrackingEvent
from core.models import Info, Node, Notification, Participant, Question, Transformation, Transmission
from core.validation import MAX_JSON_DEPTH, made_storable, unstorable
from experiments.api.exceptions import NOT_STORABLE, exception_handler
from experiments.tests.api_support import assert_error, create_participant, post_form, post_json, success

SURROGATE = "\udfff"
DEEP = {"a": None}
for _ in range(MAX_JSON_DEPTH + 5):
    DEEP = {"a": DEEP}

BAD_VALUES = {
    "surrogate": f"text {SURROGATE} more",
    "nul": "text \x00 more",
    "deep": DEEP,
}


@pytest.fixture
def world(client, bartlett):
    participant = create_participant(client)["participant"]
    node = success(client.post(f"/node/{participant['id']}"))["node"]
    info = success(post_form(client, f"/info/{node['id']}", {"contents": "a story"}))["info"]
    return {"p": participant["id"], "n": node["id"], "i": info["id"]}


#: Each write route with the parameter that carries the value (`details` values are objects).
WRITES = [
    ("/node/{p}", "details"),
    ("/node/{p}", "property1"),
    ("/info/{n}", "contents"),
    ("/info/{n}", "details"),
    ("/info/{n}", "property3"),
    ("/tracking_event/{n}", "details"),
    ("/node/{n}/transmit", "details"),
    ("/transformation/{n}/{i}/{i}", "details"),
    ("/question/{p}", "question"),
    ("/question/{p}", "response"),
]


def _record() -> tuple:
    return tuple(
        model.objects.count() for model in (Node, Info, TrackingEvent, Transmission, Transformation, Question)
    ) + (tuple(Participant.objects.values_list("status", flat=True)),)


def _body(parameter: str, value) -> dict:
    body = {"contents": "ok", "question": "q", "response": "r", "number": 1}
    if parameter == "details" and not isinstance(value, dict):
        value = {"note": value}
    body[parameter] = value
    return body


@pytest.mark.parametrize("bad", BAD_VALUES, ids=BAD_VALUES.keys())
@pytest.mark.parametrize("path, parameter", WRITES)
def test_a_value_the_record_cannot_hold_is_refused_in_a_json_body(client, world, path, parameter, bad):
    before = _record()

    response = post_json(client, path.format(**world), _body(parameter, BAD_VALUES[bad]))

    body = assert_error(response, 400)
    assert body["message"].startswith(parameter)
    assert _record() == before


@pytest.mark.parametrize("bad", BAD_VALUES, ids=BAD_VALUES.keys())
@pytest.mark.parametrize("path", sorted({path for path, parameter in WRITES if parameter == "details"}))
def test_details_given_as_json_text_in_a_form_are_checked_too(client, world, path, bad):
    before = _record()
    details = json.dumps({"note": BAD_VALUES[bad]})  # "\udfff" travels as the escape \\udfff

    response = post_form(client, path.format(**world), {"details": details, "contents": "ok"})

    assert_error(response, 400)
    assert _record() == before


def test_details_nested_past_what_the_parser_follows_are_a_bad_request(client, world):
    details = "[" * 100_000 + "]" * 100_000

    assert_error(post_form(client, f"/tracking_event/{world['n']}", {"details": details}), 400)
    assert not TrackingEvent.objects.exists()


def test_a_json_body_nested_past_what_the_parser_follows_is_a_bad_request(client, world):
    body = '{"contents": ' + "[" * 100_000 + "]" * 100_000 + "}"

    response = client.post(f"/info/{world['n']}", body, content_type="application/json")

    assert_error(response, 400)


@pytest.mark.parametrize("where", ["value", "name"])
def test_entry_information_the_record_cannot_hold_creates_nobody(bartlett, where):
    entry = {"workerId": "W1", "hitId": "H1", "assignmentId": "A1", "mode": "debug"}
    entry.update({"note": SURROGATE} if where == "value" else {f"n{SURROGATE}": "x"})

    assert_error(post_json(Client(), "/participant", entry), 400)
    assert not Participant.objects.exists()


def test_ids_in_the_path_with_a_nul_create_nobody(bartlett):
    assert_error(Client().post("/participant/w%00/h/a/debug"), 400)
    assert not Participant.objects.exists()


def test_a_participants_error_report_is_kept_with_its_unreadable_characters_replaced(client, world):
    response = client.post(
        "/handle-error",
        {
            "participant_id": world["p"],
            "error_feedback": "it \x00 broke",
            "request_data": json.dumps({"route": f"/node/{SURROGATE}", "deep": DEEP}),
        },
    )

    assert response.status_code == 200
    report = Notification.objects.get(event_type="ExperimentError")
    assert report.details["feedback"] == "it  broke"
    assert report.details["request_data"]["route"] == "/node/\ufffd"
    assert unstorable(report.details) is None


def test_the_databases_own_words_never_reach_the_caller(rf):
    from django.db import DataError
    from rest_framework.request import Request

    request = Request(rf.post("/info/1"))
    error = DataError('invalid input syntax for type json\nLINE 1: INSERT INTO "core_info" ...')

    response = exception_handler(error, {"request": request})

    assert response.status_code == 400
    assert response.data["message"] == NOT_STORABLE
    assert "core_info" not in json.dumps(response.data) and "LINE 1" not in json.dumps(response.data)


@pytest.mark.parametrize(
    "value, problem",
    [
        ("plain", None),
        ("ünïcödé 😀", None),
        ({"a": [1, 2.5, None, True, "x"]}, None),
        (SURROGATE, "unpaired surrogate"),
        ({"key": [SURROGATE]}, "unpaired surrogate"),
        ({SURROGATE: 1}, "unpaired surrogate"),
        ("\x00", "NUL"),
        (float("nan"), "NaN"),
        ({"a": [float("inf")]}, "NaN"),
        (DEEP, "nested"),
    ],
)
def test_unstorable_names_the_problem(value, problem):
    found = unstorable(value)
    assert (found is None) if problem is None else (problem in found)


def test_unstorable_walks_values_too_deep_for_recursion():
    value = []
    for _ in range(100_000):
        value = [value]

    assert "nested" in unstorable(value)


def test_made_storable_keeps_what_it_can():
    assert made_storable({"a": f"x{SURROGATE}\x00y", "b": [float("nan")], "c": 1}) == {
        "a": "x\ufffdy",
        "b": ["nan"],
        "c": 1,
    }
