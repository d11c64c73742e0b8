"""An experiment's pages written as Dallinger writes them render here, and a broken one gives the error page."""

import re
from pathlib import Path

import pytest

from experiments import runtime

pytestmark = pytest.mark.django_db

EXPERIMENTS = Path(__file__).resolve().parent / "experiments"
ENTRY = "recruiter=hotair&hitId=h1&assignmentId=a1&workerId=w1&mode=debug"
PLATFORM_LIBRARIES = [
    "/static/vendor/jquery/jquery.min.js",
    "/static/scripts/reqwest.min.js",
    "/static/scripts/reconnecting-websocket.js",
    "/static/scripts/spin.min.js",
    "/static/scripts/store+json2.min.js",
    "/static/scripts/fingerprintjs2/1.5.1/fingerprint2.min.js",
    "/static/scripts/dallinger2.js",
]


@pytest.fixture
def dallinger_pages(use_experiment):
    return use_experiment(EXPERIMENTS / "dallinger_pages")


def page(client, path):
    response = client.get(path)
    return response.status_code, response.content.decode()


def test_the_layout_keeps_the_platforms_scripts_and_adds_the_experiments(client, dallinger_pages):
    status, html = page(client, "/experiment?participant_id=1")

    assert status == 200
    positions = [html.index(f'src="{script}"') for script in PLATFORM_LIBRARIES]
    assert positions == sorted(positions)  # super() kept the platform's libraries, in order
    assert html.index("/static/scripts/dallinger2.js") < html.index('src="/static/scripts/experiment.js"')
    assert 'href="/static/css/bootstrap.min.css"' in html
    assert html.index('href="/static/css/dallinger.css"') < html.index('href="/static/css/colours.css"')
    assert "<title>Colour naming</title>" in html


def test_the_experiment_page_shows_values_and_method_results_of_experiment(client, dallinger_pages):
    status, html = page(client, "/experiment")

    assert status == 200
    assert '<h1 id="greeting">Welcome to the colour-naming study</h1>' in html
    assert "<li>crimson</li><li>teal</li><li>ochre</li>" in html


def test_the_ad_extends_base_ad_with_the_experiments_logo_and_the_platforms_begin_button(client, dallinger_pages):
    status, html = page(client, f"/ad?{ENTRY}")

    assert status == 200
    assert 'src="/static/images/logo.svg"' in html
    assert "Colour naming" in html and "pays $0.50" in html
    assert 'id="begin" class="btn btn-primary btn-lg"' in html
    assert "Application id: " in html  # Dallinger's sandbox_or_debug block, shown in debug mode


def test_the_consent_overrides_text_and_button_and_carries_the_entry_query(client, dallinger_pages):
    status, html = page(client, f"/consent?{ENTRY}")

    assert status == 200
    assert '<p id="colour-consent">Welcome to the colour-naming study. You will name three colours.</p>' in html
    assert f"window.location='/instructions/instruct-ready?{ENTRY}';" in html
    assert "We are researchers studying" not in html  # the platform's consent text was replaced
    assert 'id="no-consent"' in html  # the reject_button block was kept


def test_a_crafted_query_cannot_put_markup_into_a_page_that_prints_it_unescaped(client, dallinger_pages):
    status, html = page(client, "/consent?workerId=w1&x=%27%3B%3C%2Fscript%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E")

    assert status == 200
    assert "<script>alert(1)" not in html
    assert "';</script>" not in html


def test_the_instructions_page_in_a_folder_renders_the_context_dallinger_gives(client, dallinger_pages):
    status, html = page(client, f"/instructions/instruct-ready?{ENTRY}")

    assert status == 200
    assert '<p id="mode-line">Mode debug, application ' in html
    assert re.search(r'id="ready" class="btn btn-success btn-lg"[^>]*disabled', html)


def test_the_questionnaire_adds_the_experiments_questions_before_the_platforms(client, dallinger_pages):
    status, html = page(client, "/questionnaire?participant_id=1")

    assert status == 200
    assert html.index('name="strategy"') < html.index('name="engagement"') < html.index('name="difficulty"')
    assert 'id="submit-questionnaire"' in html


def test_the_platform_waiting_room_sends_a_dallinger_experiment_to_its_experiment_page(client, dallinger_pages):
    status, html = page(client, "/waiting")

    assert status == 200
    assert 'dallinger.goToPage("experiment")' in html
    assert 'id="waiting-progress-bar"' in html


@pytest.mark.parametrize(
    "path",
    [
        "/static/scripts/reqwest.min.js",
        "/static/scripts/spin.min.js",
        "/static/scripts/store+json2.min.js",
        "/static/scripts/reconnecting-websocket.js",
        "/static/scripts/fingerprintjs2/1.5.1/fingerprint2.min.js",
        "/static/css/bootstrap.min.css",
        "/static/scripts/bootstrap.min.js",
        "/static/scripts/jquery-3.7.1.min.js",
    ],
)
def test_dallingers_library_paths_serve_the_vendored_libraries(client, dallinger_pages, path):
    response = client.get(path)

    assert response.status_code == 200
    assert len(b"".join(response.streaming_content)) > 1000


def test_a_versioned_jquery_path_is_the_vendored_jquery(client, dallinger_pages):
    vendored = b"".join(client.get("/static/vendor/jquery/jquery.min.js").streaming_content)

    assert b"".join(client.get("/static/scripts/jquery-3.7.1.min.js").streaming_content) == vendored


@pytest.mark.parametrize(
    "path",
    ["/broken_syntax", "/broken_filter", "/broken_code", "/missing_parent", "/unknown_route"],
)
def test_a_page_that_fails_to_render_gives_the_platforms_error_page(client, dallinger_pages, path, caplog):
    status, html = page(client, path + "?participant_id=")

    assert status == 500
    assert "Something went wrong" in html
    assert "This page of the experiment could not be shown." in html
    assert '<form id="error-response" method="post" action="/handle-error">' in html
    assert 'name="error_type" value="template_error"' in html
    assert "Traceback" not in html and "the experiment's helper failed" not in html
    assert any("could not be rendered" in record.getMessage() for record in caplog.records)


def test_with_a_broken_layout_every_page_gives_an_error_page_that_still_renders(client, use_experiment):
    use_experiment(EXPERIMENTS / "dallinger_broken_layout")

    for path in (f"/ad?{ENTRY}", f"/consent?{ENTRY}", "/questionnaire", "/waiting"):
        status, html = page(client, path)
        assert status == 500, path
        assert "Something went wrong" in html and 'id="error-response"' in html, path


def test_with_a_broken_layout_the_apis_error_envelope_still_carries_the_error_page(client, use_experiment):
    use_experiment(EXPERIMENTS / "dallinger_broken_layout")

    response = client.post("/node/999999")

    assert response.status_code == 403
    assert "Something went wrong" in response.json()["html"]


def test_template_values_that_do_not_exist_read_as_nothing_and_secrets_are_not_given(client, use_experiment, tmp_path):
    package = tmp_path / "config_reader"
    (package / "templates").mkdir(parents=True)
    (package / "experiment.py").write_text(
        "from experiments.experiment import Experiment\n\n\nclass ConfigReader(Experiment):\n    pass\n"
    )
    (package / "config.txt").write_text((EXPERIMENTS / "dallinger_pages" / "config.txt").read_text())
    (package / "templates" / "reader.html").write_text(
        '{% extends "layout.html" %}{% block body %}'
        "<p id=title>{{ get_from_config('title') }}</p>"
        "<p id=secret>{{ get_from_config('prolific_api_token') }}</p>"
        "<p id=unknown>{{ get_from_config('no_such_key') }}</p>"
        "<p id=missing>[{{ nothing_here }}]</p>{% endblock %}"
    )
    use_experiment(package, prolific_api_token="t0ken-value")

    status, html = page(client, "/reader")

    assert status == 200
    assert "<p id=title>Colour naming</p>" in html
    assert "<p id=secret>None</p>" in html and "t0ken-value" not in html
    assert "<p id=unknown>None</p>" in html
    assert "<p id=missing>[]</p>" in html


def test_pages_compiled_for_one_experiment_are_not_served_for_the_next(client, settings, dallinger_pages):
    assert 'id="colour-consent"' in page(client, "/consent")[1]

    settings.DALLINGER_EXPERIMENT = "bartlett1932"
    runtime.reload()  # as a reload does, without clearing the compiled templates

    status, html = page(client, "/consent")
    assert status == 200
    assert 'id="colour-consent"' not in html and "We are researchers studying" in html
    assert "/static/scripts/experiment.js" not in html  # the layout is no longer the colour experiment's


def test_the_error_page_loads_no_scripts(client, dallinger_pages):
    """dallinger.error() puts the error page's body into the running page: scripts in it would
    load the client a second time and replace it."""
    status, html = page(client, "/broken_code")

    assert status == 500
    assert "<script" not in html
