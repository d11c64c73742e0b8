"""The Monitoring page in Chromium, served by daphne (its socket needs an ASGI server): the graph
fills as participants join, without a reload or a polling loop; a click shows a node's details;
participant-written text and the experiment's HTML stay inert."""

import time
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from core.models import Info, Node, Participant
from core.networks import Chain
from tests.browser.conftest import ARTIFACTS, dashboard_log_in
from tests.browser.test_content_security import PASSWORD, RECORD_VIOLATIONS
from tests.web_servers import HOST, Call, WebServers, holding, server_environment

VISUALIZED = Path(__file__).resolve().parents[2] / "dashboard" / "tests" / "experiments" / "visualized"
SCREENSHOTS = ARTIFACTS / "dashboard"
WAIT = 20  # seconds the page may take to show a change

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Stored in the record as participants could write them: an info's contents, a node's and a
# participant's JSON, an assignment id and a worker id.
IMAGE_PAYLOAD = "<img src=x onerror=window.__xss=1>"
SCRIPT_PAYLOAD = "</script><script>window.__xss=1</script>"


@pytest.fixture(scope="module")
def daphne(django_db_setup, django_db_blocker, tmp_path_factory):
    """One daphne process on the test database, running the `visualized` test experiment."""
    if connection.vendor != "postgresql":
        pytest.skip("the server process needs the test database on PostgreSQL")
    with django_db_blocker.unblock():
        environment = server_environment(settings_dict=dict(connection.settings_dict), experiment=VISUALIZED)
        web = WebServers(count=1, environment=environment, log_dir=tmp_path_factory.mktemp("monitoring-web"))
    yield web
    web.stop()


@pytest.fixture
def base_url(daphne):
    yield f"http://{HOST}:{daphne.ports[0]}"
    assert not daphne.new_tracebacks()


@pytest.fixture
def wide(browser):
    """The browser, wide enough for the graph and the details side by side (for the screenshots)."""
    browser.set_window_size(1280, 1000)
    yield browser
    browser.set_window_size(1024, 900)


@pytest.fixture
def violations(browser):
    """`violations()`: the Content-Security-Policy violations the pages reported so far."""
    browser.get_log("browser")
    watch = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    yield lambda: browser.execute_script("return JSON.parse(window.localStorage.getItem('csp-violations') || '[]');")
    browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": watch["identifier"]})


def screenshot(browser, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / f"monitoring-{name}.png"))


def log_in(browser, base_url: str) -> None:
    User.objects.create_superuser("admin", "admin@example.test", PASSWORD)
    dashboard_log_in(browser, base_url, next_path="/dashboard/monitoring/")
    until(browser, lambda driver: driver.find_elements(By.ID, "monitoring-graph"))


def until(browser, condition, timeout=WAIT):
    return WebDriverWait(browser, timeout).until(condition)


def graph_attribute(browser, name: str) -> str:
    return browser.find_element(By.ID, "monitoring-graph").get_attribute(name) or ""


def live(browser) -> None:
    until(browser, lambda driver: driver.find_element(By.ID, "live-status").get_attribute("data-live") == "socket")


def data_fetches(browser) -> int:
    return browser.execute_script(
        "return performance.getEntriesByType('resource').filter(function (e) {"
        " return e.name.indexOf('/dashboard/monitoring/data/') >= 0; }).length;"
    )


def click_graph_item(browser, item: str) -> None:
    """Click the graph's node `item` ("node:12") where it is drawn, as the experimenter would."""
    x, y = browser.execute_script(
        "var network = window.DashboardMonitoring.page.graph().network;"
        "network.focus(arguments[0], {scale: 1.0, animation: false});"
        "var point = network.canvasToDOM(network.getPositions([arguments[0]])[arguments[0]]);"
        "return [point.x, point.y];",
        item,
    )
    canvas = browser.find_element(By.CSS_SELECTOR, "#monitoring-graph canvas")
    # Wholly in view: a pointer's offset counts from the centre of the part of an element in view.
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", canvas)
    offset_x, offset_y = round(x - canvas.size["width"] / 2), round(y - canvas.size["height"] / 2)
    ActionChains(browser).move_to_element_with_offset(canvas, offset_x, offset_y).click().perform()
    until(browser, lambda driver: driver.find_element(By.ID, "details-body").get_attribute("data-shown") == item)


def click_when_current(browser, selector: str) -> bool:
    """Click the element `selector` finds; False if a refresh replaced it meanwhile (try again)."""
    try:
        browser.find_element(By.CSS_SELECTOR, selector).click()
    except StaleElementReferenceException:
        return False
    return True


def join(daphne, number: int) -> int:
    """A participant joins through the experiment's API (as a bot or a browser would): their node's id."""
    status, body = daphne.call(Call("POST", f"/participant/live-w{number}/live-h/live-a{number}/debug"))
    assert status == 200, body
    participant_id = body["participant"]["id"]
    status, body = daphne.call(Call("POST", f"/node/{participant_id}", cookies=holding(participant_id)))
    assert status == 200, body
    return body["node"]["id"]


def test_the_graph_fills_live_as_participants_join_and_a_click_shows_a_node(daphne, base_url, wide, violations):
    browser = wide
    # Given a launched experiment (one empty chain) and its Monitoring page, live
    status, body = daphne.call(Call("POST", "/launch"))
    assert status == 200, body
    log_in(browser, base_url)
    live(browser)
    until(browser, lambda driver: graph_attribute(driver, "data-nodes") == "2")  # its role and its chain
    browser.execute_script("window.__stayed = true;")
    fetches = data_fetches(browser)

    # When three participants join, one after another, through the API
    nodes = [join(daphne, number) for number in range(3)]

    # Then their nodes appear on the page, which was neither reloaded nor polling meanwhile
    until(browser, lambda driver: graph_attribute(driver, "data-record-nodes") == "3")
    until(browser, lambda driver: graph_attribute(driver, "data-nodes") == "5")
    assert browser.execute_script("return window.__stayed;") is True
    assert int(graph_attribute(browser, "data-edges")) >= 3  # its chain, then each node's vector
    quiet = data_fetches(browser)
    assert quiet > fetches
    time.sleep(4)  # nothing changes: the page fetches nothing
    assert data_fetches(browser) == quiet
    assert browser.find_element(By.ID, "live-status").text == "Live"
    rows = browser.find_elements(By.CSS_SELECTOR, "#networks-table tbody tr")
    assert len(rows) == 1 and "3 / 50" in rows[0].text
    statistics = browser.execute_script("return window.DashboardMonitoring.page.last().experiment_statistics;")
    assert statistics["statistics"][0] == ["Participants", {"entries": [["working", 3]]}]
    screenshot(browser, "live")

    # When the experimenter clicks the second participant's node
    click_graph_item(browser, f"node:{nodes[1]}")

    # Then its details and its participant show, and the experiment's HTML sits in a frame
    # that runs none of its scripts
    details = browser.find_element(By.ID, "details-body")
    assert f"Node {nodes[1]}" in details.text and "Participant" in details.text and "working" in details.text
    assert "live-w1" not in details.text  # worker ids are not shown
    frame = details.find_element(By.CSS_SELECTOR, "iframe.experiment-html-frame")
    assert frame.get_attribute("sandbox") == ""
    browser.switch_to.frame(frame)
    assert "as the experiment draws it" in browser.find_element(By.CLASS_NAME, "experiment-note").text
    browser.switch_to.default_content()
    assert browser.execute_script("return window.__xss;") is None
    screenshot(browser, "details")
    browser.execute_script("document.getElementById('participants-over-time').scrollIntoView();")
    screenshot(browser, "statistics")
    assert violations() == []


def test_participant_written_text_shows_as_text_and_runs_nothing(daphne, base_url, wide):
    browser = wide
    # Given a record whose participant-written fields hold markup and script
    chain = Chain(max_size=10)
    chain.save()
    participant = Participant(worker_id=IMAGE_PAYLOAD[:50], assignment_id=IMAGE_PAYLOAD, hit_id="h", mode="debug",
                              recruiter_id="hotair", entry_information={"referrer": SCRIPT_PAYLOAD})  # fmt: skip
    participant.save()
    node = Node(network=chain, participant=participant, details={"note": SCRIPT_PAYLOAD, IMAGE_PAYLOAD: 1})
    node.save()
    info = Info(origin=node, contents=f"{IMAGE_PAYLOAD} and {SCRIPT_PAYLOAD}")
    info.save()

    # When the experimenter opens Monitoring, shows the chain's infos and clicks the info and the node
    log_in(browser, base_url)
    live(browser)
    until(browser, lambda driver: graph_attribute(driver, "data-record-nodes") == "1")
    until(
        browser,
        lambda driver: click_when_current(
            driver, f'#networks-table tr[data-network="{chain.pk}"] td:nth-child(5) button'
        ),
    )
    until(browser, lambda driver: driver.execute_script(
        "return window.DashboardMonitoring.page.graph().nodes.get(arguments[0]) !== null;", f"info:{info.pk}"))  # fmt: skip
    click_graph_item(browser, f"info:{info.pk}")
    info_text = browser.find_element(By.ID, "details-body").text
    screenshot(browser, "xss")
    click_graph_item(browser, f"node:{node.pk}")
    node_text = browser.find_element(By.ID, "details-body").text

    # Then every payload shows literally, no element was made from one, and no script ran
    assert IMAGE_PAYLOAD in info_text and SCRIPT_PAYLOAD in info_text
    assert SCRIPT_PAYLOAD in node_text and IMAGE_PAYLOAD in node_text  # a details key and the assignment id
    assert (
        browser.execute_script("return document.querySelectorAll('#monitoring img, #monitoring script').length;") == 0
    )
    assert browser.execute_script("return window.__xss;") is None
