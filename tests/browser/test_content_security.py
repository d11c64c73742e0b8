"""The Content-Security-Policy in a real browser: the bundled demos' pages, the dashboard and the
API documentation work under it with no violation reported, and framing is allowed only where
the policy says."""

from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.contrib.auth.models import User
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import DASHBOARD_PASSWORD, dashboard_log_in
from tests.browser.test_journeys import (
    STORY_RETELLING,
    answer_questionnaire,
    consent_and_read_instructions,
    enter,
    wait_for,
)

FRAMER = Path(__file__).resolve().parent / "experiments" / "framer"
PASSWORD = DASHBOARD_PASSWORD

# Runs in every page and frame before the page's own scripts; kept in the origin's local
# storage so that a violation survives the page's navigating away.
RECORD_VIOLATIONS = """
window.addEventListener("securitypolicyviolation", function (event) {
  var seen = JSON.parse(window.localStorage.getItem("csp-violations") || "[]");
  seen.push([window.location.pathname, event.effectiveDirective, event.blockedURI, event.sample]);
  window.localStorage.setItem("csp-violations", JSON.stringify(seen));
});
"""


@pytest.fixture
def violations(browser):
    """`violations()`: every violation the pages reported so far, by event and in the console."""
    browser.get_log("browser")  # what earlier tests left
    watch = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    logged = []

    def collected() -> list:
        messages = [entry["message"] for entry in browser.get_log("browser")]
        logged.extend(message for message in messages if "Content Security Policy" in message)
        reported = browser.execute_script("return JSON.parse(window.localStorage.getItem('csp-violations') || '[]');")
        return reported + logged

    yield collected
    browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": watch["identifier"]})


@pytest.fixture
def admin_user(server_url):
    return User.objects.create_superuser("admin", "admin@example.test", PASSWORD)


def log_in_to_the_dashboard(browser, server_url):
    dashboard_log_in(browser, server_url)
    WebDriverWait(browser, 10).until(ready.presence_of_element_located((By.ID, "content-main")))


def test_the_bartlett1932_pages_run_without_violations(browser, server_url, use_experiment, screenshots, violations):
    use_experiment("bartlett1932")
    enter(browser, server_url, "reader-csp")
    consent_and_read_instructions(browser, screenshots)
    wait_for(browser, "finish-reading").click()
    wait_for(browser, "reproduction").send_keys(STORY_RETELLING)
    browser.find_element(By.ID, "submit-response").click()
    answer_questionnaire(browser, screenshots, {"engagement": "6", "difficulty": "3"})

    assert "Thank you" in browser.find_element(By.TAG_NAME, "h1").text
    assert violations() == []


def test_the_pushbutton_pages_run_without_violations(browser, server_url, use_experiment, screenshots, violations):
    use_experiment("pushbutton")
    enter(browser, server_url, "pusher-csp")
    consent_and_read_instructions(browser, screenshots)
    wait_for(browser, "push").click()
    answer_questionnaire(browser, screenshots, {"satisfaction": "7", "engagement": "5"})

    assert "Thank you" in browser.find_element(By.TAG_NAME, "h1").text
    assert violations() == []


def test_the_dashboard_runs_without_violations_and_refuses_inline_script(
    browser, server_url, admin_user, make_participant, violations
):
    participant = make_participant()
    log_in_to_the_dashboard(browser, server_url)
    browser.find_element(By.CSS_SELECTOR, "button.theme-toggle").click()  # the admin's own script runs
    browser.get(f"{server_url}/dashboard/core/participant/?status__exact=working")
    wait_for(browser, "changelist-search")
    browser.find_element(By.LINK_TEXT, str(participant.pk)).click()
    WebDriverWait(browser, 10).until(ready.url_contains(f"/participant/{participant.pk}/change/"))

    assert violations() == []

    # The check above can see a violation: an injected inline script is one.
    browser.execute_script(
        "var s = document.createElement('script'); s.textContent = 'window.injected = 1;';"
        " document.head.appendChild(s);"
    )
    WebDriverWait(browser, 10).until(lambda driver: violations())
    assert browser.execute_script("return window.injected;") is None
    assert any("script-src" in str(violation) for violation in violations())


def test_swagger_ui_renders_from_this_server_alone(browser, server_url, violations):
    browser.get(f"{server_url}/api/docs/")

    WebDriverWait(browser, 20).until(
        lambda driver: len(driver.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock")) > 10
    )
    assert "/participant" in browser.find_element(By.CSS_SELECTOR, ".swagger-ui").text
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name);")
    assert loaded and all(address.startswith(f"{server_url}/") for address in loaded), loaded
    assert violations() == []


def origins(server_url: str) -> tuple[str, str]:
    """Two origins of the same test server: one to frame from, one whose pages are framed."""
    port = urlsplit(server_url).port
    return f"http://localhost:{port}", f"http://127.0.0.1:{port}"


def framed_page_shows(browser, framing_origin: str, address: str, element_id: str) -> bool:
    """Whether a page of `framing_origin` framing `address` shows the element `element_id`."""
    browser.get(f"{framing_origin}/framer?src={quote(address, safe='')}")
    frame = WebDriverWait(browser, 10).until(ready.presence_of_element_located((By.ID, "framed")))
    browser.switch_to.frame(frame)
    try:
        WebDriverWait(browser, 5).until(
            lambda driver: driver.execute_script("return document.readyState") == "complete"
        )
        return bool(browser.find_elements(By.ID, element_id))
    finally:
        browser.switch_to.default_content()


def test_participant_pages_are_framed_only_by_sites_the_policy_names_and_the_dashboard_never(
    browser, server_url, use_experiment
):
    framing_origin, framed_origin = origins(server_url)
    ad = f"{framed_origin}/ad?recruiter=hotair&hitId=h&assignmentId=a&workerId=w&mode=debug"

    use_experiment(FRAMER)
    refused = framed_page_shows(browser, framing_origin, ad, "begin")
    use_experiment(FRAMER, content_security_policy_extra=f'{{"frame-ancestors": ["{framing_origin}"]}}')
    allowed = framed_page_shows(browser, framing_origin, ad, "begin")
    dashboard = framed_page_shows(browser, framing_origin, f"{framed_origin}/dashboard/login/", "id_username")

    assert (refused, allowed, dashboard) == (False, True, False)
