"""The Logger tab, and the slow reloading of the dashboard's live pages when their socket cannot
connect, in Chromium against the live test server (a WSGI server: no socket connects there, so
the pages fall back to reloading their data every `data-poll-seconds`).

Screenshots go to test-artifacts/dashboard/logger-*.png and monitoring-polling.png.
"""

import logging

import pytest
from django.contrib.auth.models import User
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from core.networks import Chain
from dashboard.logger.records import log_records_clear
from tests.browser.conftest import ARTIFACTS, DASHBOARD_PASSWORD, dashboard_log_in
from tests.browser.test_content_security import violations  # noqa: F401 (a fixture)

SCREENSHOTS = ARTIFACTS / "dashboard"
WAIT = 20  # seconds a page may take to show a change
#: How often the pages reload their data in these tests (20 s unless configured).
POLL_SECONDS = 0.5
SCRIPT_PAYLOAD = "<script>window.__xss = 1</script><img src=x onerror=window.__xss=2>"

log = logging.getLogger("bots.runner")


@pytest.fixture
def dashboard(browser, server_url, settings):
    """The browser, logged in to the dashboard, whose pages reload every POLL_SECONDS without a socket."""
    settings.DASHBOARD_FALLBACK_POLL_SECONDS = POLL_SECONDS
    log_records_clear()
    User.objects.create_superuser("admin", "admin@example.test", DASHBOARD_PASSWORD)
    dashboard_log_in(browser, server_url)
    yield browser
    browser.get("about:blank")  # no reload left in flight when the test's database goes
    log_records_clear()


def screenshot(browser, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def until(browser, condition):
    return WebDriverWait(browser, WAIT).until(condition)


def shown_messages(browser) -> list[str]:
    # Read in one step: the table is written anew at each reload.
    return browser.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll('#logger-records td.logger-message'),"
        " function (cell) { return cell.textContent; });"
    )


def test_the_logger_tab_shows_new_records_as_text_and_filters_them(dashboard, server_url, violations):  # noqa: F811
    browser = dashboard
    browser.set_window_size(1280, 800)
    log.info("A bot joined network 1")
    browser.find_element(By.CSS_SELECTOR, "nav.dashboard-tabs").find_element(By.LINK_TEXT, "Logger").click()
    until(browser, lambda driver: "A bot joined network 1" in shown_messages(driver))
    until(browser, lambda driver: driver.find_element(By.ID, "live-status").get_attribute("data-live") == "polling")
    assert browser.find_element(By.ID, "content-main").get_attribute("data-poll-seconds") == "0.5"
    assert not browser.find_element(By.ID, "logger-problem").is_displayed()

    # Logged after the page opened: the page shows them without a reload, as text.
    browser.execute_script("window.__stayed = true;")
    log.warning("A participant wrote %s", SCRIPT_PAYLOAD)
    log.error("The recruiter refused the request")
    until(browser, lambda driver: "The recruiter refused the request" in shown_messages(driver))
    screenshot(browser, "logger-page")
    assert browser.execute_script("return window.__stayed;") is True
    assert f"A participant wrote {SCRIPT_PAYLOAD}" in shown_messages(browser)
    assert browser.execute_script("return window.__xss;") is None
    assert browser.find_elements(By.CSS_SELECTOR, "#logger-records img, #logger-records td script") == []

    Select(browser.find_element(By.ID, "logger-level")).select_by_value("ERROR")
    until(browser, lambda driver: shown_messages(driver) == ["The recruiter refused the request"])
    Select(browser.find_element(By.ID, "logger-level")).select_by_value("INFO")
    browser.find_element(By.ID, "logger-search").send_keys("joined")
    until(browser, lambda driver: shown_messages(driver) == ["A bot joined network 1"])
    assert violations() == []


def test_the_monitoring_page_reloads_its_data_while_its_socket_cannot_connect(dashboard, server_url, violations):  # noqa: F811
    browser = dashboard
    Chain(max_size=3).save()
    browser.get(f"{server_url}/dashboard/monitoring/")
    until(browser, lambda driver: driver.find_element(By.ID, "live-status").get_attribute("data-live") == "polling")
    until(browser, lambda driver: driver.find_element(By.ID, "networks-range").text == "Networks 1–1 of 1")
    assert "refreshing every 0.5 s" in browser.find_element(By.ID, "live-status").text
    browser.execute_script("window.__stayed = true;")

    # A network made elsewhere shows up by the next reload, without the page being loaded again.
    Chain(max_size=3).save()
    until(browser, lambda driver: driver.find_element(By.ID, "networks-range").text == "Networks 1–2 of 2")
    screenshot(browser, "monitoring-polling")
    assert browser.execute_script("return window.__stayed;") is True
    assert violations() == []
