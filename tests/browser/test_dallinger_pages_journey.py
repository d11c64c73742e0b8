"""A participant goes through pages written the way Dallinger experiments write them, in a real browser."""

import json
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from core.models import Info, Participant, Question

PACKAGE = Path(__file__).resolve().parent.parent / "experiments" / "dallinger_pages"


def clickable(browser, element_id, timeout=10):
    return WebDriverWait(browser, timeout).until(ready.element_to_be_clickable((By.ID, element_id)))


def test_a_dallinger_style_experiment_runs_from_the_ad_to_the_exit_page(
    browser, server_url, use_experiment, screenshots
):
    use_experiment(PACKAGE)
    browser.get(f"{server_url}/ad?recruiter=hotair&hitId=hit1&assignmentId=assign-c1&workerId=namer1&mode=debug")

    # The ad's begin button is what Dallinger's bots look for: a button.btn-primary.
    browser.find_element(By.CSS_SELECTOR, "button.btn-primary").click()
    clickable(browser, "consent")
    screenshots(browser, "consent")
    assert "You will name three colours." in browser.find_element(By.ID, "colour-consent").text
    browser.find_element(By.ID, "consent").click()  # the experiment's own button: to instruct-ready

    # Its Begin button starts disabled; dallinger2.js enables .btn-success once the participant exists.
    WebDriverWait(browser, 10).until(ready.url_contains("/instructions/instruct-ready"))
    clickable(browser, "ready").click()

    WebDriverWait(browser, 10).until(ready.url_contains("/experiment"))
    clickable(browser, "name-colours")
    screenshots(browser, "experiment")
    libraries = browser.execute_script("return window.dallingerLibraries")
    assert libraries == {"reqwest": True, "store": True, "Spinner": True, "ReconnectingWebSocket": True}
    browser.find_element(By.ID, "name-colours").click()

    clickable(browser, "strategy").send_keys("I said them aloud.")
    screenshots(browser, "questionnaire")
    browser.find_element(By.ID, "submit-questionnaire").click()
    WebDriverWait(browser, 10).until(ready.url_contains("/recruiter-exit"))
    WebDriverWait(browser, 10).until(ready.presence_of_element_located((By.TAG_NAME, "h1")))

    participant = Participant.objects.get(worker_id="namer1")
    assert participant.status == "approved"
    [node] = participant.nodes()
    assert [info.contents for info in Info.objects.filter(origin=node)] == ["crimson,teal,ochre"]
    answers = json.loads(Question.objects.get(participant=participant).response)
    assert answers["strategy"] == "I said them aloud."
