"""Headless Chromium (Debian's chromium and chromedriver) against the live test server."""

import shutil
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from bots.webdriver import chrome_options

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def chrome_driver() -> webdriver.Chrome:
    """A new headless Chromium session, configured as the browser bots' (with console logs kept)."""
    options = chrome_options()
    options.add_argument("--window-size=1024,900")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)


@pytest.fixture(scope="session")
def _chromium():
    driver = chrome_driver()
    driver.set_script_timeout(15)
    # Tests switch experiments, whose scripts share URLs (/static/scripts/experiment.js).
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    yield driver
    driver.quit()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def browser(_chromium, request):
    """The shared browser, with a clean slate (no cookies, no local storage) for each test.

    When a test fails, the page and the browser console are saved under test-artifacts/failures/.
    """
    _chromium.delete_all_cookies()
    yield _chromium
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        folder = ARTIFACTS / "failures"
        folder.mkdir(parents=True, exist_ok=True)
        _chromium.save_screenshot(str(folder / f"{request.node.name}.png"))
        console = "\n".join(str(entry) for entry in _chromium.get_log("browser"))
        (folder / f"{request.node.name}.log").write_text(f"{_chromium.current_url}\n{console}\n")
    try:
        _chromium.execute_script("window.localStorage && window.localStorage.clear();")
    except Exception:
        pass
    _chromium.get("about:blank")


@pytest.fixture
def screenshots(request):
    """`screenshots("consent")` saves a PNG of the page under test-artifacts/screenshots/<test>/."""
    folder = ARTIFACTS / "screenshots" / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    count = {"n": 0}

    def take(driver, name):
        count["n"] += 1
        driver.save_screenshot(str(folder / f"{count['n']:02d}_{name}.png"))

    return take


@pytest.fixture
def server_url(live_server, transactional_db):
    """The live server's base URL (the database is transactional so its threads see the data)."""
    return live_server.url.rstrip("/")



#: The password of the dashboard accounts the browser tests make.
DASHBOARD_PASSWORD = "a long and unguessable passphrase"


def dashboard_log_in(browser, base_url: str, *, username: str = "admin", password: str = DASHBOARD_PASSWORD,
                     next_path: str = "") -> None:  # fmt: skip
    """Fill in and send the dashboard's login form (going to `next_path` after it, if given);
    returns once the page the form led to has loaded, whatever it is (a failed login's too)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{base_url}/dashboard/login/" + (f"?next={next_path}" if next_path else ""))
    WebDriverWait(browser, 10).until(ready.element_to_be_clickable((By.ID, "id_username"))).send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(password)
    submit = browser.find_element(By.CSS_SELECTOR, "input[type=submit]")
    submit.click()
    WebDriverWait(browser, 10).until(ready.staleness_of(submit))
    WebDriverWait(browser, 10).until(lambda driver: driver.execute_script("return document.readyState") == "complete")
