"""Content-Security-Policy and X-Frame-Options per kind of page: participant pages, the dashboard,
the API documentation, and answers that are not pages."""

from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from dallinger_project.content_security import API_DOCS_POLICY, DASHBOARD_POLICY
from experiments.content_security import header_value
from recruitment.base import RECRUITERS, Recruiter

pytestmark = pytest.mark.django_db

OWN_POLICY_EXPERIMENT = Path(__file__).resolve().parent / "experiments" / "own_policy"
AD = "/ad?recruiter=hotair&hitId=h1&assignmentId=a1&workerId=w1&mode=debug"
PARTICIPANT_POLICY_TEXT = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' data: blob:; "
    "connect-src 'self' ws://testserver wss://testserver; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)


class FramingRecruiter(Recruiter):
    """A recruiter whose site shows the pages in a frame and takes a form posted back to it."""

    nickname = "framing"
    external_submission_url = "https://submit.example.test/externalSubmit"

    def content_security_sources(self):
        return super().content_security_sources() | {"frame-ancestors": ("https://workers.example.test",)}


@pytest.fixture
def framing_recruiter(monkeypatch):
    monkeypatch.setitem(RECRUITERS, FramingRecruiter.nickname, FramingRecruiter)


@pytest.fixture
def bartlett(use_experiment):
    return use_experiment("bartlett1932")


@pytest.mark.parametrize(
    "path",
    [AD, "/", "/consent", "/instructions", "/exp", "/questionnaire", "/error-page", "/no-such-page"],
)
def test_participant_pages_get_the_participant_policy_and_same_origin_framing(client, bartlett, path):
    response = client.get(path)

    assert response["Content-Security-Policy"] == PARTICIPANT_POLICY_TEXT
    assert response["X-Frame-Options"] == "SAMEORIGIN"


@pytest.mark.parametrize(
    "path", ["/dashboard/login/", "/dashboard/", "/dashboard/core/participant/", "/dashboard/nothing/"]
)
def test_the_dashboard_gets_the_strict_policy_and_is_never_framed(client, admin_client, path):
    response = (admin_client if path != "/dashboard/login/" else client).get(path, follow=True)

    assert response["Content-Security-Policy"] == header_value(DASHBOARD_POLICY)
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_the_api_documentation_runs_no_inline_script_and_is_never_framed(client):
    response = client.get("/api/docs/")

    assert response["Content-Security-Policy"] == header_value(API_DOCS_POLICY)
    assert "script-src 'self';" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/summary"),
        ("post", "/participant/w9/h9/a9/debug"),
        ("get", "/api/schema/"),
        ("get", "/static/scripts/dallinger2.js"),
    ],
)
def test_answers_that_are_not_pages_get_no_policy(client, bartlett, method, path):
    response = getattr(client, method)(path, HTTP_ACCEPT="application/json")

    assert response.status_code in (200, 201), response.content[:300]
    assert "Content-Security-Policy" not in response


def test_an_experiment_adds_sources_through_its_configuration(client, use_experiment):
    use_experiment(
        "bartlett1932",
        content_security_policy_extra=(
            '{"script-src": ["https://cdn.example.org"], "font-src": ["https://fonts.example.org"]}'
        ),
    )

    policy = client.get(AD)["Content-Security-Policy"]

    assert "; script-src 'self' 'unsafe-inline' https://cdn.example.org;" in policy
    assert policy.endswith("; font-src 'self' https://fonts.example.org")


def test_a_recruiter_that_frames_the_pages_is_allowed_to_and_receives_their_form(
    client, use_experiment, framing_recruiter
):
    use_experiment("bartlett1932", recruiter="framing")

    response = client.get(AD)

    policy = response["Content-Security-Policy"]
    assert "; form-action 'self' https://submit.example.test;" in policy
    assert policy.endswith("; frame-ancestors 'self' https://workers.example.test")
    # X-Frame-Options cannot name the recruiter's site: frame-ancestors says who may frame.
    assert "X-Frame-Options" not in response


def test_the_multi_recruiter_allows_what_each_of_its_recruiters_needs(client, use_experiment, framing_recruiter):
    use_experiment("bartlett1932", recruiter="multi", recruiters="bots: 1, framing: 2")

    policy = client.get(AD)["Content-Security-Policy"]

    assert "; form-action 'self' https://submit.example.test;" in policy


def test_an_unknown_recruiter_leaves_the_pages_with_the_base_policy(client, use_experiment):
    use_experiment("bartlett1932", recruiter="nobody")

    response = client.get(AD)

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == PARTICIPANT_POLICY_TEXT


def test_an_experiment_route_that_sets_its_own_policy_keeps_it(client, use_experiment):
    use_experiment(OWN_POLICY_EXPERIMENT)

    response = client.get("/survey")

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "default-src 'self'; frame-src https://survey.example.org"


def test_under_asgi_the_headers_are_the_same(bartlett, client):
    asgi = async_to_sync(AsyncClient().get)

    for path in (AD, "/dashboard/login/", "/api/docs/"):
        answered, expected = asgi(path), client.get(path)
        assert answered["Content-Security-Policy"] == expected["Content-Security-Policy"], path
        assert answered["X-Frame-Options"] == expected["X-Frame-Options"], path
