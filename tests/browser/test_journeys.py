"""Participants go through the bundled demos' pages in a real browser."""

import json

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from core.models import Info, Participant, Question

STORY_RETELLING = "Two brothers crossed a broken bridge by the light of many lanterns."


def wait_for(browser, element_id, timeout=10):
    return WebDriverWait(browser, timeout).until(ready.element_to_be_clickable((By.ID, element_id)))


def enter(browser, server_url, worker):
    browser.get(f"{server_url}/ad?recruiter=hotair&hitId=hit1&assignmentId=assign-{worker}&workerId={worker}&mode=debug")


def consent_and_read_instructions(browser, screenshots):
    screenshots(browser, "ad")
    wait_for(browser, "begin").click()
    wait_for(browser, "consent")
    screenshots(browser, "consent")
    browser.find_element(By.ID, "consent").click()
    wait_for(browser, "begin")
    screenshots(browser, "instructions")
    browser.find_element(By.ID, "begin").click()


def answer_questionnaire(browser, screenshots, choices):
    wait_for(browser, "submit-questionnaire")
    for field, value in choices.items():
        browser.find_element(By.CSS_SELECTOR, f"#{field} option[value='{value}']").click()
    screenshots(browser, "questionnaire")
    browser.find_element(By.ID, "submit-questionnaire").click()
    WebDriverWait(browser, 10).until(ready.url_contains("/recruiter-exit"))
    WebDriverWait(browser, 10).until(ready.presence_of_element_located((By.TAG_NAME, "h1")))
    screenshots(browser, "exit")


def test_bartlett1932_journey_records_the_retelling_and_approves(browser, server_url, use_experiment, screenshots):
    use_experiment("bartlett1932")
    enter(browser, server_url, "reader1")
    consent_and_read_instructions(browser, screenshots)

    story = wait_for(browser, "finish-reading")
    original = browser.find_element(By.ID, "story").text
    assert len(original) > 200
    screenshots(browser, "story")
    story.click()
    wait_for(browser, "reproduction").send_keys(STORY_RETELLING)
    screenshots(browser, "retelling")
    browser.find_element(By.ID, "submit-response").click()
    answer_questionnaire(browser, screenshots, {"engagement": "6", "difficulty": "3"})

    assert "Thank you" in browser.find_element(By.TAG_NAME, "h1").text
    participant = Participant.objects.get(worker_id="reader1")
    assert participant.status == "approved"
    [node] = participant.nodes()
    [info] = Info.objects.filter(origin=node)
    assert info.contents == STORY_RETELLING
    assert node.received_infos()[0].contents.replace("\n", "") == original.replace("\n", "")
    [question] = Question.objects.filter(participant=participant)
    answers = json.loads(question.response)
    assert (question.question, answers["engagement"], answers["difficulty"]) == ("questionnaire", "6", "3")


def test_pushbutton_journey_records_the_press_and_the_custom_question(
    browser, server_url, use_experiment, screenshots
):
    use_experiment("pushbutton")
    enter(browser, server_url, "pusher1")
    consent_and_read_instructions(browser, screenshots)

    wait_for(browser, "push")
    screenshots(browser, "button")
    browser.find_element(By.ID, "push").click()
    answer_questionnaire(browser, screenshots, {"satisfaction": "7", "engagement": "5"})

    participant = Participant.objects.get(worker_id="pusher1")
    assert participant.status == "approved"
    [node] = participant.nodes()
    assert [info.contents for info in Info.objects.filter(origin=node)] == ["Submitted"]
    answers = json.loads(Question.objects.get(participant=participant).response)
    assert (answers["satisfaction"], answers["engagement"]) == ("7", "5")


def test_a_participant_without_a_place_goes_straight_to_the_questionnaire(
    browser, server_url, use_experiment, make_participant
):
    use_experiment("pushbutton", num_participants=1)
    other = make_participant(worker_id="early-bird")
    from experiments.runtime import experiment

    experiment().create_node(participant=other, network=experiment().networks()[0])
    enter(browser, server_url, "latecomer")
    wait_for(browser, "begin").click()
    wait_for(browser, "consent").click()
    wait_for(browser, "begin").click()

    wait_for(browser, "submit-questionnaire")
    assert "/questionnaire" in browser.current_url


@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko",
    ],
)
def test_ad_page_refuses_excluded_browsers_with_a_clear_message(client, use_experiment, user_agent):
    use_experiment("bartlett1932")

    response = client.get(
        "/ad?recruiter=hotair&hitId=h&assignmentId=a&workerId=w&mode=debug", HTTP_USER_AGENT=user_agent
    )

    assert response.status_code == 403
    assert b"cannot run on your browser or device" in response.content
