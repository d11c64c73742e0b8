"""The participant pages: the ad's checks, pages by name, and caching."""

from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = pytest.mark.django_db

AD = "/ad?recruiter=hotair&hitId=h1&assignmentId=a1&workerId=w1&mode=debug"


@pytest.fixture(autouse=True)
def bartlett(use_experiment):
    return use_experiment("bartlett1932")


def test_ad_invites_with_the_configured_title_and_a_begin_button_carrying_the_ids(client):
    response = client.get(AD)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Stories retold" in html
    assert '<form method="get" action="/consent">' in html
    for name, value in [("recruiter", "hotair"), ("hitId", "h1"), ("assignmentId", "a1"), ("workerId", "w1"), ("mode", "debug")]:
        assert f'<input type="hidden" name="{name}" value="{value}">' in html
    assert 'id="begin" class="btn btn-primary btn-lg"' in html  # what Dallinger's bots click on the ad


def test_ad_accepts_prolific_entry_parameters(client):
    response = client.get("/ad?recruiter=hotair&PROLIFIC_PID=p1&STUDY_ID=s1&SESSION_ID=x1&mode=debug")

    assert response.status_code == 200
    assert 'id="begin"' in response.content.decode()


def test_ad_preview_has_no_begin_button(client):
    response = client.get("/ad?hitId=h1&assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE&mode=sandbox")

    assert response.status_code == 200
    assert 'id="begin"' not in response.content.decode()
    assert "preview" in response.content.decode()


def test_ad_without_ids_explains_the_link_is_incomplete(client):
    response = client.get("/ad?workerId=w1")

    assert response.status_code == 400
    assert "missing the assignment details" in response.content.decode()


def test_ad_refuses_a_worker_who_took_part_under_another_assignment(client, make_participant):
    make_participant(worker_id="w1", assignment_id="earlier")

    response = client.get(AD)

    assert response.status_code == 403
    assert "already taken part" in response.content.decode()


def test_ad_lets_a_working_participant_come_back_to_the_same_assignment(client, make_participant):
    make_participant(worker_id="w1", assignment_id="a1")

    assert client.get(AD).status_code == 200


def test_generate_tokens_redirects_to_an_ad_with_fresh_ids(client):
    response = client.get("/ad?generate_tokens")

    assert response.status_code == 302
    query = parse_qs(urlparse(response["Location"]).query)
    assert {"hitId", "assignmentId", "workerId", "mode", "recruiter"} <= set(query)
    assert query["recruiter"] == ["hotair"]


@pytest.mark.parametrize("page", ["/consent", "/instructions", "/exp", "/questionnaire", "/waiting", "/complete"])
def test_pages_render_and_are_never_cached(client, page):
    response = client.get(page + "?participant_id=1")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert "/static/scripts/dallinger2.js" in response.content.decode()


def test_experiment_page_overrides_the_platforms(client):
    html = client.get("/exp").content.decode()

    assert 'id="finish-reading"' in html  # bartlett1932's own exp.html


@pytest.mark.parametrize("path", ["/no-such-page", "/a/b/c", "/" + "x" * 300, "/static-../etc"])
def test_unknown_pages_are_404(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/admin/index",
        "/admin/change_list",
        "/admin/login",
        "/rest_framework/login",
        "/rest_framework/api",
        "/registration/password_reset_email",
        "/drf_spectacular/swagger_ui",
        "/error-complete",
        "/exit_recruiter",
        "/base/layout",
        "/base/ad",
        "/launch",
        "/layout",
        "/error",
        "/index",
        "/ad",  # its own route, which checks the ids; never rendered bare
    ],
)
def test_templates_that_are_not_participant_pages_are_not_served_by_name(client, path):
    response = client.get(path)

    assert response.status_code in (400, 404, 405), response.status_code
    assert b"Django administration" not in response.content and b"Django REST framework" not in response.content


@pytest.mark.parametrize("page", ["consent", "instructions", "exp", "questionnaire", "waiting", "complete"])
def test_the_platforms_participant_pages_are_served_by_name(client, page):
    assert client.get(f"/{page}").status_code == 200


def test_an_experiments_own_template_is_a_page(client, use_experiment):
    from experiments.tests.api_support import TEST_EXPERIMENTS

    use_experiment(TEST_EXPERIMENTS / "assets_overrides")

    assert client.get("/custom_page").status_code == 200
    assert client.get("/error").status_code == 404  # reserved: the platform's, and only for errors


def test_error_page_answers_get_and_post(client, make_participant):
    participant = make_participant()

    for method in (client.get, client.post):
        response = method("/error-page", {"participant_id": participant.pk})
        assert response.status_code == 200
        assert f'name="participant_id" value="{participant.pk}"' in response.content.decode()


def test_generate_tokens_keeps_the_ids_given_and_makes_up_only_the_missing_ones(client):
    response = client.get("/ad?generate_tokens=1&workerId=w-given&recruiter=hotair&extra=x")

    assert response.status_code == 302
    query = parse_qs(urlparse(response["Location"]).query)
    assert query["workerId"] == ["w-given"]
    assert query["extra"] == ["x"]
    assert query["hitId"][0] and query["assignmentId"][0]
    assert "generate_tokens" not in query


def test_generate_tokens_counts_an_id_given_under_a_recruiters_own_name(client):
    response = client.get("/ad?generate_tokens=true&PROLIFIC_PID=p1&STUDY_ID=s1&recruiter=hotair")

    query = parse_qs(urlparse(response["Location"]).query)
    assert (query["PROLIFIC_PID"], query["STUDY_ID"]) == (["p1"], ["s1"])
    assert "workerId" not in query and "hitId" not in query
    assert query["assignmentId"][0]


def test_generate_tokens_set_to_false_shows_the_ad_for_the_ids_given(client):
    response = client.get(AD + "&generate_tokens=false")

    assert response.status_code == 200


def test_the_favicon_is_served_as_an_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO header


@pytest.mark.parametrize("method", ["post", "put", "delete"])
@pytest.mark.parametrize("page", ["/", "/ad", "/consent", "/instructions"])
def test_a_page_called_with_another_method_than_get_is_not_allowed(client, page, method):
    response = getattr(client, method)(page)

    assert response.status_code == 405
    assert set(response["Allow"].split(", ")) == {"GET", "HEAD"}


@pytest.mark.parametrize(
    ("method", "route"),
    [("get", "/info/1"), ("get", "/participant"), ("put", "/summary"), ("get", "/question/1"), ("delete", "/node/1")],
)
def test_an_api_route_called_with_the_wrong_method_answers_405_in_json(client, method, route):
    response = getattr(client, method)(route)

    assert response.status_code == 405
    assert response.json()["status"] == "error"


def test_a_page_that_is_not_there_is_not_found_whatever_the_method(client):
    assert client.post("/no-such-page").status_code == 404
    assert client.post("/some/where").status_code == 404
