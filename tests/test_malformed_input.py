"""No route answers malformed input with a server error, and a refused request changes nothing.

The requests come from the table in tests/malformed_requests.py, which describes every route
of `experiments/urls.py`. Every answer must be a 4xx, or a success where the input is in fact
acceptable; an API route answers with its JSON envelope (`status: "error"` and a `message`
when it refuses), and nothing shows a traceback. A refused request must leave the record
exactly as it was. A Hypothesis test then sends arbitrary text in every parameter.
"""

import json
import re
from urllib.parse import quote, urlencode

import pytest
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.models import Participant
from core.record import MODELS_DEPENDENTS_FIRST
from experiments import urls
from tests.malformed_requests import (
    EITHER,
    NOT_ALLOWED,
    REFUSE,
    ROUTES,
    Case,
    Route,
    cases_for,
    encodings_for,
    required_values,
    resolve,
)

# The record snapshots use PostgreSQL functions (md5, string_agg).
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TRACEBACK_MARKERS = (b"Traceback (most recent call last)", b"Exception Value:", b"Server Error (500)")


# Sending and checking ----------------------------------------------------------------------

_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")


def url_for(route: Route, path_values: dict, world: dict) -> str:
    """The route's path with `path_values` (and valid values for the other parameters), quoted."""

    def value_of(match):
        converter, name = match.group(1), match.group(2)
        value = path_values.get(name, resolve(route.path[name].valid, world))
        return quote(str(value), safe="/" if converter == "path" else "")

    return "/" + _PARAMETER.sub(value_of, route.pattern)


def send(client: Client, case: Case, world: dict):
    """Send the case's request; returns the response."""
    path = url_for(case.route, case.path_values, world)
    params = {name: resolve(value, world) for name, value in case.params.items()}
    if case.encoding == "raw":
        query = urlencode({name: value for name, value in params.items() if value is not None})
        return client.generic(case.method, f"{path}?{query}", case.body, content_type=case.content_type)
    if case.encoding == "json":
        return client.generic(case.method, path, json.dumps(params), content_type="application/json")
    params = {name: value for name, value in params.items() if value is not None}
    if case.encoding == "form":
        return client.generic(case.method, path, urlencode(params), content_type="application/x-www-form-urlencoded")
    if case.encoding == "multipart":
        return client.post(path, params)
    return client.generic(case.method, f"{path}?{urlencode(params)}")


def record_snapshot() -> dict:
    """A digest of every row of the experimental record, per table (one query)."""
    tables = [model._meta.db_table for model in MODELS_DEPENDENTS_FIRST]
    digests = ", ".join(
        f"(SELECT md5(coalesce(string_agg(row::text, '|' ORDER BY row.id), '')) FROM {table} AS row)"
        for table in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {digests}")
        return dict(zip(tables, cursor.fetchone()))


def problems_with(case: Case, response, before: dict) -> list[str]:
    """What is wrong with the answer to `case` (nothing, ideally)."""
    status = response.status_code
    content = response.content
    problems = []
    if status >= 500:
        problems.append(f"answered {status}: {content[:300]!r}")
    if any(marker in content for marker in TRACEBACK_MARKERS):
        problems.append("shows a traceback")
    refused = 400 <= status < 500
    if case.expected == NOT_ALLOWED and status != 405:
        problems.append(f"expected 405, got {status}")
    elif case.expected == REFUSE and not refused:
        problems.append(f"expected a 4xx, got {status}")
    elif not refused and status not in (200, 302) and status < 500:
        problems.append(f"unexpected status {status}")
    if case.route.api:
        try:
            body = response.json()
        except ValueError:
            problems.append(f"not JSON: {content[:200]!r}")
        else:
            if refused:
                if body.get("status") != "error" or not isinstance(body.get("message"), str) or not body["message"]:
                    problems.append(f"not an error envelope: {str(body)[:200]}")
                elif "html" not in body:
                    problems.append("error envelope without html")
            elif status == 200 and body.get("status") != "success":
                problems.append(f"not a success envelope: {str(body)[:200]}")
    if refused and record_snapshot() != before:
        problems.append("refused, but the record changed")
    return problems


def run_cases(client: Client, world: dict, cases) -> list[str]:
    """Send every case; the problems found, each naming its case."""
    failures = []
    for case in cases:
        before = record_snapshot()
        response = send(client, case, world)
        failures += [f"{case}: {problem}" for problem in problems_with(case, response, before)]
    return failures


# Fixtures --------------------------------------------------------------------------------


def _ok(response) -> dict:
    assert response.status_code == 200, response.content[:1000]
    return response.json()


@pytest.fixture
def client():
    """A test client that reports server errors as responses, so they can be counted."""
    return Client(raise_request_exception=False)


@pytest.fixture
def world(client, use_experiment) -> dict:
    """A launched Bartlett chain: a participant with a node that received the story and
    retold it, and a spare participant (for the routes that finish a participant's work)."""
    use_experiment("bartlett1932", num_participants=3)
    _ok(client.post("/launch"))
    participant = _ok(client.post("/participant/worldworker/hit1/worldassignment/debug"))["participant"]
    spare = _ok(client.post("/participant/spareworker/hit1/spareassignment/debug"))["participant"]
    node = _ok(client.post(f"/node/{participant['id']}"))["node"]
    spare_node = _ok(client.post(f"/node/{spare['id']}"))["node"]
    received = _ok(client.get(f"/node/{node['id']}/received_infos"))["infos"][0]
    info = _ok(client.post(f"/info/{node['id']}", {"contents": "The story, retold."}))["info"]
    return {
        "participant_id": participant["id"],
        "assignment_id": participant["assignment_id"],
        "spare_participant_id": spare["id"],
        "spare_assignment_id": spare["assignment_id"],
        "node_id": node["id"],
        "other_node_id": spare_node["id"],
        "network_id": node["network_id"],
        "info_id": info["id"],
        "received_info_id": received["id"],
    }


# Tests -----------------------------------------------------------------------------------


def test_the_table_covers_every_route():
    # Given the routes the server serves, then the table describes each of them and no other
    described = {route.pattern for route in ROUTES}
    served = {str(pattern.pattern) for pattern in urls.urlpatterns}
    assert described == served


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_malformed_requests_are_refused_cleanly(client, world, route):
    # Given a running experiment, when every malformed variant of a request to the route is sent
    cases = cases_for(route)
    assert cases
    failures = run_cases(client, world, cases)

    # Then none gets a server error, each is answered as the table expects, and refusals change nothing
    assert not failures, f"{len(failures)} of {len(cases)} cases failed:\n" + "\n".join(failures[:60])


def test_refused_participant_creations_leave_no_participant(client, world):
    # Given the participants the world started with
    before = set(Participant.objects.values_list("pk", flat=True))

    # When creations are refused for every kind of bad input
    creation_routes = [route for route in ROUTES if route.pattern.startswith("participant") and "POST" in route.methods]
    refused_cases = [case for route in creation_routes for case in cases_for(route) if case.expected != EITHER]
    failures = run_cases(client, world, refused_cases)

    # Then none of them left a participant behind
    assert not failures, "\n".join(failures[:60])
    assert set(Participant.objects.values_list("pk", flat=True)) == before


# Arbitrary text in every parameter ----------------------------------------------------------

TEXT_TARGETS = [
    (route, "param", name) for route in ROUTES for name in route.params
] + [(route, "path", name) for route in ROUTES for name in route.path]

arbitrary_text = st.one_of(
    st.text(max_size=60),
    st.from_regex(r"-?[0-9]{1,25}", fullmatch=True),
    st.sampled_from(["True", "false", "all", "null", "[]", "{}", "NaN", "Infinity", "1e309", "undefined", "None"]),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=40, max_size=2000),
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(target=st.sampled_from(TEXT_TARGETS), value=arbitrary_text, encoding_choice=st.integers(0, 3))
def test_any_text_in_any_parameter_is_answered_without_a_server_error(client, world, target, value, encoding_choice):
    route, location, name = target
    method = route.methods[encoding_choice % len(route.methods)]
    if location == "path":
        keeps_slashes = route.path[name].converter_keeps_slashes
        if not value or (not keeps_slashes and "/" in value):
            value = value.replace("/", "") or "x"
        case = Case(route, method, f"{name}={value!r}", EITHER, {name: value}, required_values(route))
    else:
        encodings = encodings_for(route, method, value)
        encoding = encodings[encoding_choice % len(encodings)]
        case = Case(route, method, f"{name}={value!r}", EITHER, {}, {**required_values(route), name: value}, encoding)

    failures = run_cases(client, world, [case])

    assert not failures, "\n".join(failures)
