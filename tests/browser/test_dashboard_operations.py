"""The dashboard's login, lockout, Lifecycle and Config tabs in a real browser, with screenshots of
each in test-artifacts/dashboard/ (docs/dashboard.md shows some of them)."""

import time
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from experiments import runtime
from experiments.models import RuntimeSetting
from tests.browser.conftest import ARTIFACTS, DASHBOARD_PASSWORD, dashboard_log_in
from tests.browser.test_content_security import violations  # noqa: F401 (a fixture)
from tests.browser.test_journeys import wait_for

PASSWORD = DASHBOARD_PASSWORD
SHOTS = ARTIFACTS / "dashboard"


@pytest.fixture
def experimenter(server_url, use_experiment):
    use_experiment("bartlett1932")
    # As the dashboard account from the configuration is (experiments/services/dashboard_account.py).
    return get_user_model().objects.create_superuser("experimenter", "experimenter@example.test", PASSWORD)


def screenshot(browser, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / f"{name}.png"))


def submit_login(browser, server_url, password: str) -> None:
    dashboard_log_in(browser, server_url, username="experimenter", password=password)


def log_in(browser, server_url) -> None:
    submit_login(browser, server_url, PASSWORD)
    WebDriverWait(browser, 10).until(ready.presence_of_element_located((By.CSS_SELECTOR, "nav.dashboard-tabs")))


def open_tab(browser, title: str) -> None:
    browser.find_element(By.CSS_SELECTOR, "nav.dashboard-tabs").find_element(By.LINK_TEXT, title).click()
    WebDriverWait(browser, 10).until(
        ready.text_to_be_present_in_element((By.CSS_SELECTOR, "nav.dashboard-tabs li.active"), title)
    )


def confirm(browser, action_id: str) -> None:
    """Click an action on the Lifecycle tab, then its confirmation."""
    wait_for(browser, action_id).click()
    wait_for(browser, "confirm").click()


def message(browser) -> str:
    return WebDriverWait(browser, 10).until(
        ready.presence_of_element_located((By.CSS_SELECTOR, "ul.messagelist li"))
    ).text


def test_logging_in_and_the_lockout_after_repeated_failures(browser, server_url, experimenter, settings, violations):  # noqa: F811
    browser.get(f"{server_url}/dashboard/login/")
    wait_for(browser, "id_username")
    screenshot(browser, "login-form")

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        submit_login(browser, server_url, "not the password")
        assert "Please enter the correct username and password" in browser.find_element(By.ID, "content").text
    submit_login(browser, server_url, "still not the password")
    screenshot(browser, "login-lockout")
    assert "Too many failed logins" in browser.find_element(By.TAG_NAME, "h1").text
    assert "Try again in 15 minutes" in browser.find_element(By.ID, "content-main").text

    submit_login(browser, server_url, PASSWORD)  # the right password, while locked out

    assert "Too many failed logins" in browser.find_element(By.TAG_NAME, "h1").text
    browser.get(f"{server_url}/dashboard/lifecycle/")
    assert "/dashboard/login/" in browser.current_url
    assert violations() == []


def test_pausing_then_resuming_recruitment_from_the_lifecycle_tab(browser, server_url, experimenter, violations):  # noqa: F811
    log_in(browser, server_url)
    open_tab(browser, "Lifecycle")
    assert browser.find_element(By.ID, "state-auto-recruit").text.startswith("on")
    screenshot(browser, "lifecycle-page")

    wait_for(browser, "action-pause-recruitment").click()
    wait_for(browser, "confirm")
    screenshot(browser, "lifecycle-confirm-pause")
    browser.find_element(By.ID, "confirm").click()

    assert message(browser).startswith("Recruitment paused")
    assert browser.find_element(By.ID, "state-auto-recruit").text.startswith("paused")
    assert RuntimeSetting.objects.get(name="auto_recruit").value == "false"
    screenshot(browser, "lifecycle-paused")

    confirm(browser, "action-resume-recruitment")

    assert message(browser).startswith("Recruitment resumed")
    assert browser.find_element(By.ID, "state-auto-recruit").text.startswith("on")
    assert RuntimeSetting.objects.get(name="auto_recruit").value == "true"
    assert violations() == []


def downloaded_zip(folder: Path, timeout: float = 20) -> Path:
    """The zip the browser finished downloading into `folder`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = list(folder.glob("*.zip"))
        if done and not list(folder.glob("*.crdownload")):
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no download in {folder}: {list(folder.iterdir())}")


def test_exporting_the_data_downloads_dallingers_zip(browser, server_url, experimenter, tmp_path, make_participant):
    make_participant(worker_id="worker-in-the-browser")
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    log_in(browser, server_url)
    open_tab(browser, "Lifecycle")
    wait_for(browser, "action-export").click()
    wait_for(browser, "confirm")
    screenshot(browser, "lifecycle-export")

    browser.find_element(By.ID, "confirm").click()
    archive = downloaded_zip(tmp_path)

    with zipfile.ZipFile(archive) as exported:
        assert "experiment_id.md" in exported.namelist()
        participants = exported.read("data/participant.csv").decode()
    assert participants.count("\n") == 2  # the header and the one participant
    assert "worker-in-the-browser" not in participants  # pseudonymised


def test_the_config_and_development_tabs(browser, server_url, experimenter, violations):  # noqa: F811
    runtime.active().config.set("prolific_api_token", "a-token-never-shown")
    log_in(browser, server_url)
    open_tab(browser, "Config")

    table = browser.find_element(By.ID, "config-table").text
    assert "auto_recruit" in table and "bartlett1932/config.txt" in table
    assert "a-token-never-shown" not in browser.page_source
    assert "<redacted>" in browser.find_element(By.ID, "config-prolific_api_token").text
    screenshot(browser, "config-page")

    open_tab(browser, "Development")
    links = {link.text: link.get_attribute("href") for link in browser.find_elements(By.CLASS_NAME, "development-link")}
    assert links["Ad page"] == f"{server_url}/ad?generate_tokens=true&recruiter=hotair&source=dashboard"
    screenshot(browser, "development-page")
    assert violations() == []
