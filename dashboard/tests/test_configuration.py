"""The Config tab (every key, its value and source) and the Development tab (links to try the experiment)."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from experiments.services.runtime_settings import runtime_setting_set

pytestmark = pytest.mark.django_db

ROW = re.compile(
    r'<tr id="config-(?P<name>[^"]+)"[^>]*>\s*<th scope="row"><code>[^<]*</code>.*?</th>\s*'
    r'<td class="config-value">(?P<value>.*?)</td>\s*<td class="config-source">(?P<source>.*?)</td>',
    re.S,
)


def config_rows(html: str) -> dict[str, tuple[str, str]]:
    """{key: (value, source)} as the page shows them (the value's first line)."""
    return {
        match["name"]: (unescape(match["value"]).strip().splitlines()[0].strip(), unescape(match["source"]).strip())
        for match in ROW.finditer(html)
    }


@pytest.fixture
def bartlett(use_experiment, monkeypatch):
    monkeypatch.setenv("title", "A title from the environment")
    loaded = use_experiment("bartlett1932")
    loaded.config.load(loaded.directory, home=loaded.directory)  # read the environment set above
    return loaded


def test_every_key_is_listed_sorted_with_its_value_and_source(admin_client, bartlett):
    config = bartlett.config
    config.set("base_payment", 1.25)

    rows = config_rows(admin_client.get(reverse("admin:dashboard-config")).content.decode())

    assert list(rows) == sorted(config.keys())
    assert rows["base_payment"] == ("1.25", "set()")
    assert rows["title"] == ("A title from the environment", "the environment")
    assert rows["mode"][1] == "experiments/demos/bartlett1932/config.txt"  # from the project's folder
    assert rows["aws_region"] == ("us-east-1", "the built-in defaults")
    assert rows["prolific_workspace"] == ("not set", "—")
    assert rows["whimsical"] == ("true", "the built-in defaults")


def test_sensitive_values_are_redacted(admin_client, bartlett):
    bartlett.config.set("prolific_api_token", "a-real-looking-token")

    html = admin_client.get(reverse("admin:dashboard-config")).content.decode()
    rows = config_rows(html)

    assert rows["prolific_api_token"] == ("<redacted>", "set()")
    assert rows["dashboard_user"] == ("<redacted>", "the built-in defaults")
    assert rows["dashboard_password"] == ("not set", "—")
    assert "a-real-looking-token" not in html


def test_auto_recruit_shows_the_dashboards_value_and_links_to_the_lifecycle_action(admin_client, bartlett):
    url = reverse("admin:dashboard-config")
    html = admin_client.get(url).content.decode()
    assert config_rows(html)["auto_recruit"][0] == "true"
    assert f'id="toggle-auto-recruit" href="{reverse("admin:dashboard-lifecycle-action", args=["pause-recruitment"])}"' in html

    runtime_setting_set(config=bartlett.config, name="auto_recruit", value=False)
    html = admin_client.get(url).content.decode()

    assert config_rows(html)["auto_recruit"] == ("false", "the dashboard (shared by every process)")
    assert f'href="{reverse("admin:dashboard-lifecycle-action", args=["resume-recruitment"])}"' in html


def development_links(admin_client) -> dict[str, str]:
    html = admin_client.get(reverse("admin:dashboard-development")).content.decode()
    found = re.findall(r'<a class="development-link" href="([^"]+)" target="_blank" rel="noopener noreferrer">([^<]+)</a>', html)
    return {title: unescape(url) for url, title in found}


def test_the_development_tab_links_to_the_ad_consent_and_experiment_pages(admin_client, bartlett):
    links = development_links(admin_client)

    assert links["Ad page"] == "/ad?generate_tokens=true&recruiter=hotair&source=dashboard"
    for title, page in (("Consent", "/consent"), ("Experiment page", "/exp")):
        parts = urlsplit(links[title])
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        assert parts.path == page
        assert query["recruiter"] == "hotair" and query["mode"] == "debug"
        assert query["hit_id"] and query["assignment_id"] and query["worker_id"]
    assert development_links(admin_client)["Consent"] != links["Consent"]  # a new participant each time


def test_the_development_links_lead_to_working_pages(admin_client, bartlett, client):
    links = development_links(admin_client)

    ad = client.get(links["Ad page"], follow=True)
    assert ad.status_code == 200 and ad.redirect_chain[0][0].startswith("/ad?")
    assert "assignmentId=" in ad.redirect_chain[0][0]
    assert client.get(links["Consent"]).status_code == 200
    assert client.get(links["Experiment page"]).status_code == 200


def test_the_ad_link_names_the_configured_recruiter(admin_client, use_experiment):
    use_experiment("bartlett1932", recruiter="prolific")  # debug mode: the stand-in that calls nobody

    assert development_links(admin_client)["Ad page"] == "/ad?generate_tokens=true&recruiter=devprolific&source=dashboard"


def test_no_page_offers_to_reset_the_database(admin_client, bartlett):
    for name in ("admin:dashboard-development", "admin:dashboard-config", "admin:dashboard-lifecycle"):
        html = admin_client.get(reverse(name)).content.decode().lower()
        assert "init_db" not in html and "reset database" not in html
