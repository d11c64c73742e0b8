"""An experiment package's templates and static files, layered over the project's."""

from pathlib import Path

import pytest
from django.template.loader import render_to_string

PACKAGE = Path(__file__).parent / "experiments" / "assets_overrides"


@pytest.fixture
def overrides(use_experiment):
    return use_experiment(PACKAGE)


def test_experiment_templates_are_found_first(overrides):
    html = render_to_string("custom_page.html", using="participant")

    assert 'data-layout="experiment"' in html
    assert "custom page of the experiment" in html


def test_reserved_pages_always_come_from_the_platform(overrides):
    html = render_to_string("error.html", {"message": "boom"}, using="participant")

    assert "THE EXPERIMENT'S OWN ERROR PAGE" not in html
    assert "Something went wrong" in html


def test_without_the_experiment_its_templates_are_gone(use_experiment, overrides):
    use_experiment("bartlett1932")

    html = render_to_string("error.html", {"message": "boom"}, using="participant")
    assert "Something went wrong" in html
    with pytest.raises(Exception, match="custom_page.html"):
        render_to_string("custom_page.html", using="participant")


def test_experiment_static_files_are_served(client, overrides):
    response = client.get("/static/scripts/experiment.js")

    assert response.status_code == 200
    assert b"window.experimentScript = true;" in b"".join(response.streaming_content)
    assert response["Content-Type"].startswith(("text/javascript", "application/javascript"))


def test_reserved_static_files_are_not_taken_from_the_experiment(client, overrides):
    response = client.get("/static/scripts/dallinger2.js")

    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    assert b"notTheRealClient" not in body


@pytest.mark.parametrize("path", ["/static/../experiment.py", "/static/%2e%2e/experiment.py", "/static/nothing.js"])
def test_static_paths_outside_the_folders_are_not_served(client, overrides, path):
    assert client.get(path).status_code in (400, 404)
