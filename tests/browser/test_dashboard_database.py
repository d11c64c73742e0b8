"""The dashboard's database pages in a real browser: fail a node from its list, pay a bonus, export
a selection, and participants' text shown as text, never run, on every list and row page.

Screenshots go to test-artifacts/dashboard/database-*.png.
"""

import json
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import Select, WebDriverWait

from core.models import Info, Node, Notification, Participant, Question
from core.nodes import Agent
from recruitment.models import Payment
from recruitment.payments.ledger import settlement_intend
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_content_security import PASSWORD, log_in_to_the_dashboard

SCREENSHOTS = ARTIFACTS / "dashboard"
#: Posts the fields given (name, value pairs) from a form built in the page, as the browser
#: posted them before.
RESUBMIT = """
const form = document.createElement("form");
form.method = "post";
for (const [name, value] of arguments[0]) {
  const input = document.createElement("input");
  input.type = "hidden"; input.name = name; input.value = value;
  form.appendChild(input);
}
document.body.appendChild(form);
form.submit();
"""
#: Text a participant could write, each of which would run script if shown unescaped.
PAYLOADS = ("<img src=x onerror=window.__xss=1>", '"><script>window.__xss=1</script>')


@pytest.fixture
def admin_user(server_url):
    return User.objects.create_superuser("admin", "admin@example.test", PASSWORD)


@pytest.fixture
def dashboard(browser, server_url, admin_user):
    """The browser, logged in to the dashboard."""
    log_in_to_the_dashboard(browser, server_url)
    return browser


def screenshot(browser, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / f"database-{name}.png"))


def run_action(browser, url: str, action: str, row_ids, screenshot_as: str = "") -> None:
    """On the list at `url`, tick the rows and run `action` (its confirmation page opens)."""
    browser.get(url)
    WebDriverWait(browser, 10).until(ready.presence_of_element_located((By.ID, "changelist-form")))
    for pk in row_ids:
        browser.find_element(By.CSS_SELECTOR, f"input.action-select[value='{pk}']").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value(action)
    if screenshot_as:
        screenshot(browser, screenshot_as)
    browser.find_element(By.CSS_SELECTOR, "#changelist-form button[name=index]").click()
    WebDriverWait(browser, 10).until(ready.presence_of_element_located((By.ID, "dashboard-confirm-form")))


def messages_shown(browser) -> str:
    WebDriverWait(browser, 10).until(ready.presence_of_element_located((By.CSS_SELECTOR, "ul.messagelist")))
    return browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text


def test_failing_a_node_from_its_list(dashboard, server_url, make_participant, make_node):
    node = make_node(Agent, participant=make_participant(), details={"score": 7})
    Info.objects.create(origin=node, network=node.network, contents="a story")
    make_node()

    run_action(dashboard, f"{server_url}/dashboard/core/node/", "fail_selected", [node.pk], screenshot_as="nodes")
    assert "Fail this node?" in dashboard.find_element(By.CLASS_NAME, "dashboard-question").text
    screenshot(dashboard, "fail-confirm")
    assert not Node.objects.get(pk=node.pk).failed

    dashboard.find_element(By.XPATH, "//button[normalize-space()='Yes, fail them']").click()

    assert "Failed 1 Nodes" in messages_shown(dashboard)
    screenshot(dashboard, "fail-result")
    assert Node.objects.get(pk=node.pk).failed and Info.objects.get().failed
    assert Node.objects.filter(failed=False).count() == 1


def test_paying_a_bonus_writes_one_ledger_row_however_often_the_form_is_sent(
    dashboard, server_url, make_participant
):
    participant = make_participant()

    run_action(dashboard, f"{server_url}/dashboard/core/participant/", "bonus_participants", [participant.pk])
    amount = dashboard.find_element(By.ID, "id_amount")
    amount.send_keys("1.50")
    dashboard.find_element(By.ID, "id_reason").send_keys("Helped the group")
    screenshot(dashboard, "bonus-form")
    amount.clear()
    amount.send_keys("1.2.3")
    dashboard.find_element(By.XPATH, "//button[normalize-space()='Pay the bonus']").click()
    error = WebDriverWait(dashboard, 10).until(ready.presence_of_element_located((By.CSS_SELECTOR, ".errorlist")))
    assert "is not an amount" in error.text and not Payment.objects.exists()
    screenshot(dashboard, "bonus-error")

    amount = dashboard.find_element(By.ID, "id_amount")
    amount.clear()
    amount.send_keys("1.50")
    sent = dashboard.execute_script(
        "return [...new FormData(document.getElementById('dashboard-confirm-form')).entries()];"
    )
    dashboard.find_element(By.XPATH, "//button[normalize-space()='Pay the bonus']").click()

    assert f"The bonus of 1.50 USD for participant {participant.pk} was paid" in messages_shown(dashboard)
    screenshot(dashboard, "bonus-result")
    # The same form is sent again (a second click, a resubmission after going back).
    shown = dashboard.find_element(By.CSS_SELECTOR, "ul.messagelist")
    dashboard.execute_script(RESUBMIT, sent)
    WebDriverWait(dashboard, 10).until(ready.staleness_of(shown))
    assert "was paid before" in messages_shown(dashboard)

    payment = Payment.objects.get()
    assert (payment.kind, payment.state, str(payment.amount), payment.participant_id) == (
        "bonus", "sent", "1.50", participant.pk,
    )  # fmt: skip


def test_exporting_a_selection(dashboard, server_url, make_node, tmp_path):
    nodes = [make_node(details={"n": number}) for number in range(3)]
    dashboard.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})

    run_action(dashboard, f"{server_url}/dashboard/core/node/", "export_selected", [nodes[0].pk, nodes[2].pk])
    screenshot(dashboard, "export")
    dashboard.find_element(By.XPATH, "//button[normalize-space()='Download JSON']").click()

    deadline = time.monotonic() + 20
    while not list(tmp_path.glob("node-*.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    [download] = list(tmp_path.glob("node-*.json"))
    rows = json.loads(Path(download).read_text())
    assert [(row["id"], row["details"]) for row in rows] == [(nodes[0].pk, {"n": 0}), (nodes[2].pk, {"n": 2})]


@pytest.fixture
def participant_text(make_participant, make_node):
    """Every field a participant writes, holding the payloads."""
    first, second = PAYLOADS
    participant = make_participant(worker_id=second, assignment_id=first, entry_information={"note": first})
    node = make_node(Agent, participant=participant, details={"answer": first, second: "key"})
    Info.objects.create(origin=node, network=node.network, contents=second, details={"said": first})
    Question.objects.create(participant=participant, number=1, question=first, response=json.dumps({"q": second}))
    Notification.objects.create(
        assignment_id=first, event_type="ExperimentError",
        details={"feedback": first, "error_text": second, "request_data": {"referrer": first}},
    )  # fmt: skip
    Participant.objects.filter(pk=participant.pk).update(status="approved")
    settlement_intend(participant=Participant.objects.get(pk=participant.pk), recruit="none", bonus_reason=first)
    return participant


def test_participants_text_is_shown_as_text_on_every_page(dashboard, server_url, participant_text):
    pages = []
    for table in ("participant", "node", "info", "question", "notification"):
        model = {"participant": Participant, "node": Node, "info": Info, "question": Question,
                 "notification": Notification}[table]  # fmt: skip
        pages += [f"/dashboard/core/{table}/", f"/dashboard/core/{table}/{model.objects.first().pk}/change/"]
    payment = Payment.objects.get(kind="bonus")
    pages += ["/dashboard/recruitment/payment/", f"/dashboard/recruitment/payment/{payment.pk}/change/"]
    participant_page = f"/dashboard/core/participant/{participant_text.pk}/change/"
    shown = {}

    for page in pages:
        dashboard.get(server_url + page)
        WebDriverWait(dashboard, 10).until(ready.presence_of_element_located((By.ID, "content")))
        assert dashboard.execute_script("return typeof window.__xss;") == "undefined", page
        assert dashboard.execute_script("return document.querySelectorAll('img[src=\"x\"]').length;") == 0, page
        assert not dashboard.execute_script(
            "return [...document.scripts].some(s => s.textContent.includes('__xss'));"
        ), page
        text = dashboard.find_element(By.ID, "content").text
        shown[page] = [payload for payload in PAYLOADS if payload in text]
        if page == participant_page:
            screenshot(dashboard, "xss-inert")

    # Each payload shows, as the text it is, where the field is shown.
    node_page = f"/dashboard/core/node/{Node.objects.first().pk}/change/"
    assert shown[participant_page] == list(PAYLOADS)  # assignment id, worker id
    assert shown["/dashboard/core/participant/"] == [PAYLOADS[0]]  # assignment id; never the worker id
    assert shown[node_page] == list(PAYLOADS)  # details: value and key
    assert shown["/dashboard/core/info/"] == list(PAYLOADS)  # details and contents
    assert shown["/dashboard/core/question/"] == list(PAYLOADS)  # question and response
    assert shown["/dashboard/core/notification/"] == list(PAYLOADS)  # assignment id, error text
    assert shown[f"/dashboard/recruitment/payment/{payment.pk}/change/"] == list(PAYLOADS)  # reason, worker id
