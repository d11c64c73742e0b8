"""The browser client's own state and page flow: URL parameters, the identity and its
storage, page changes and the exit guard, the ad-blocker check, the error page, and the
waiting room's quorum. The request functions are in test_dallinger_js.py.
"""

import json
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from core.models import Notification, Participant
from tests.browser.dallinger_js import (
    JS_CLIENT,
    enter,
    identity,
    join,
    resolved,
    run,
    settle,
    stored_identity,
    wait_for_path,
)

# URL parameters and identity -----------------------------------------------------------


def test_get_url_parameter_decodes_values_and_tells_bare_and_absent_keys(browser, server_url):
    browser.get(
        f"{server_url}/consent?name=Ada+Lovelace&city=S%C3%A3o%20Paulo&flag&empty=&sum=a%3Db%26c&odd=100%&name=Bob"
    )

    values = browser.execute_script(
        "return ['name', 'city', 'flag', 'empty', 'sum', 'odd', 'absent', 'Name']"
        ".map(function (key) { return dallinger.getUrlParameter(key); });"
    )

    assert values == ["Ada Lovelace", "São Paulo", True, "", "a=b&c", "100%", None, None]


@pytest.mark.parametrize(
    "query",
    [
        "recruiter=hotair&hitId=H1&assignmentId=A1&workerId=W1&mode=debug&condition=blue",
        "recruiter=hotair&hit_id=H1&assignment_id=A1&worker_id=W1&mode=debug&condition=blue",
        "PROLIFIC_PID=W1&STUDY_ID=H1&SESSION_ID=A1&condition=blue",
    ],
    ids=["camel-case", "snake-case", "prolific"],
)
def test_identity_is_read_from_the_entry_url_and_creates_that_participant(
    browser, server_url, use_experiment, query
):
    use_experiment("pushbutton")
    # Every page reads the identity (and /ad, unlike upstream's, refuses Prolific's parameters).
    browser.get(f"{server_url}/consent?{query}")

    read = identity(browser)
    participant_id = resolved(browser, "dallinger.createParticipant()")["participant"]["id"]

    assert (read["workerId"], read["hitId"], read["assignmentId"]) == ("W1", "H1", "A1")
    assert read["entryInformation"] == {"condition": "blue"}
    assert len(read["fingerprintHash"]) == 8
    participant = Participant.objects.get(pk=participant_id)
    assert (participant.worker_id, participant.hit_id, participant.assignment_id) == ("W1", "H1", "A1")
    assert participant.entry_information["condition"] == "blue"


def test_identity_is_kept_across_pages_in_local_storage(browser, server_url, use_experiment):
    use_experiment("pushbutton")
    participant_id = join(browser, server_url, "keeper", condition="green")
    first = identity(browser)

    browser.get(f"{server_url}/consent")
    on_plain_page = identity(browser)
    browser.get(f"{server_url}/instructions?participant_id=")  # an id-less link says nothing
    on_empty_link = identity(browser)

    assert first["participantId"] == str(participant_id)
    assert on_plain_page == first == on_empty_link
    assert stored_identity(browser) == first
    assert first["entryInformation"] == {"condition": "green"}
    assert Participant.objects.count() == 1  # the instructions page reused the participant


def test_a_new_assignment_in_the_url_starts_a_fresh_identity(browser, server_url, use_experiment):
    use_experiment("pushbutton")
    first_id = join(browser, server_url, "first", condition="blue")

    enter(browser, server_url, "second", group="7")
    fresh = identity(browser)
    second_id = resolved(browser, "dallinger.createParticipant()")["participant"]["id"]

    assert "participantId" not in fresh
    assert (fresh["workerId"], fresh["assignmentId"]) == ("second", "assign-second")
    assert fresh["entryInformation"] == {"group": "7"}
    assert second_id != first_id
    assert Participant.objects.get(pk=second_id).worker_id == "second"


def test_storage_keeps_json_values_across_pages(browser, server_url):
    browser.get(f"{server_url}/consent")
    browser.execute_script(
        "dallinger.storage.set('answers', {a: [1, 2], b: 'x'}); dallinger.storage.set('gone', 1);"
        "dallinger.storage.remove('gone');"
    )

    browser.get(f"{server_url}/")
    kept = browser.execute_script(
        "return [dallinger.storage.available, dallinger.storage.get('answers'),"
        " dallinger.storage.get('gone') === undefined, JSON.parse(window.localStorage.getItem('answers'))];"
    )

    assert kept == [True, {"a": [1, 2], "b": "x"}, True, {"a": [1, 2], "b": "x"}]


# Page changes and the exit guard -------------------------------------------------------


def test_go_to_page_carries_the_participant_id(browser, server_url, use_experiment):
    use_experiment("pushbutton")
    participant_id = join(browser, server_url, "walker")

    browser.execute_script("dallinger.goToPage('questionnaire');")
    wait_for_path(browser, "/questionnaire")

    url = urlparse(browser.current_url)
    assert (url.path, parse_qs(url.query)) == ("/questionnaire", {"participant_id": [str(participant_id)]})
    assert identity(browser)["participantId"] == str(participant_id)
    assert browser.find_element(By.ID, "submit-questionnaire")


BEFORE_UNLOAD = """
var event = document.createEvent('BeforeUnloadEvent');
event.initEvent('beforeunload', false, true);
window.dispatchEvent(event);
return {cancelled: event.defaultPrevented, returnValue: event.returnValue};
"""


def test_prevent_exit_guards_against_leaving_and_allow_exit_lifts_it(browser, server_url):
    browser.get(f"{server_url}/consent")

    unguarded = browser.execute_script(BEFORE_UNLOAD)
    guarded = browser.execute_script("dallinger.preventExit = true;" + BEFORE_UNLOAD)
    allowed = browser.execute_script("dallinger.allowExit();" + BEFORE_UNLOAD)

    assert unguarded == {"cancelled": False, "returnValue": ""}
    assert guarded["cancelled"] and guarded["returnValue"]
    assert allowed == {"cancelled": False, "returnValue": ""}


RECORD_UNLOAD = """
window.addEventListener('beforeunload', function (event) {
  window.localStorage.setItem('unload', JSON.stringify({cancelled: event.defaultPrevented || !!event.returnValue}));
});
"""


@pytest.mark.parametrize(
    "leave, cancelled",
    [("window.location.href = '/';", True), ("dallinger.goToPage('');", False)],
    ids=["navigating-away", "go-to-page"],
)
def test_leaving_a_guarded_page_is_cancelled_unless_through_go_to_page(browser, server_url, leave, cancelled):
    browser.get(f"{server_url}/consent?assignmentId=A&hitId=H&workerId=W")
    # Without a user gesture Chromium shows no dialog, but the page's guard still answers.
    browser.execute_script(RECORD_UNLOAD + "dallinger.preventExit = true;" + leave)
    WebDriverWait(browser, 10).until(lambda driver: urlparse(driver.current_url).path == "/")

    assert browser.execute_script("return JSON.parse(window.localStorage.getItem('unload'));") == {
        "cancelled": cancelled
    }


def test_has_ad_blocker_calls_back_only_when_ad_like_elements_are_hidden(browser, server_url):
    browser.get(f"{server_url}/consent")
    check = """
    var calls = 0;
    dallinger.hasAdBlocker(function () { calls += 1; });
    var immediately = calls;
    setTimeout(function () { done([immediately, calls, $('.adsbox').length]); }, 400);
    """

    without_blocker = run(browser, check)
    # What an ad blocker's cosmetic filter does to ad-like elements.
    browser.execute_script("$('<style>.adsbox { display: none !important; }</style>').appendTo('head');")
    with_blocker = run(browser, check)

    assert without_blocker == [0, 0, 0]
    assert with_blocker == [0, 1, 0]


def test_busy_form_disables_the_first_list_of_elements_and_spins_until_unfrozen(browser, server_url):
    browser.get(f"{server_url}/consent")
    script = """
    $('body').append('<input id="answer"><button id="send">Send</button><button id="other">Other</button>');
    var busy = dallinger.BusyForm();
    // Dallinger's chat experiments pass a second list: like Dallinger, it is left alone.
    busy.freeze([$('#answer'), $('#send')], [$('#other')]);
    var frozen = [$('#answer').prop('disabled'), $('#send').prop('disabled'), $('#other').prop('disabled'),
                  $('#spinner').children().length > 0];
    busy.unfreeze();
    var thawed = [$('#answer').prop('disabled'), $('#send').prop('disabled'), $('#spinner').children().length];
    var missing = null;
    try { dallinger.BusyForm({spinnerID: 'nowhere'}); } catch (error) { missing = error.message; }
    done([frozen, thawed, missing, dallinger.missingFingerprint()]);
    """

    frozen, thawed, missing, fingerprint_missing = run(browser, script)

    assert frozen == [True, True, False, True]
    assert thawed == [False, False, 0]
    assert missing == 'There is no element with id "nowhere" to show the spinner in.'
    assert fingerprint_missing is False


# Errors --------------------------------------------------------------------------------


def test_error_shows_the_servers_error_page_whose_form_completes_the_participant(
    browser, server_url, use_experiment
):
    use_experiment("pushbutton")
    participant_id = join(browser, server_url, "unlucky")
    node_id = resolved(browser, "dallinger.createAgent()")["node"]["id"]

    browser.execute_script("window.clientBeforeTheError = dallinger;")
    run(browser, "dallinger.createInfo(args[0], {}).fail(function (r) { dallinger.error(r); done(); });", node_id)

    assert browser.find_element(By.TAG_NAME, "h1").text == "Something went wrong"
    assert "contents is required" in browser.find_element(By.TAG_NAME, "body").text
    # The running client stays: the error page's body loads no second copy of it.
    assert browser.execute_script("return window.dallinger === window.clientBeforeTheError;") is True
    assert browser.execute_script("return $('script[src*=dallinger2]').length;") == 0
    form_ids = browser.execute_script(
        "return $('form[action=\"/handle-error\"] [name=participant_id], [name=assignment_id]')"
        ".map(function () { return this.value; }).get();"
    )
    assert form_ids == [str(participant_id), "assign-unlucky"]

    browser.find_element(By.ID, "error_feedback").send_keys("I pressed the button.")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for_path(browser, "/handle-error")

    assert "Your assignment has been completed" in browser.find_element(By.TAG_NAME, "body").text
    report = Notification.objects.get(event_type="ExperimentError")
    assert report.details["participant_id"] == participant_id
    assert report.details["feedback"] == "I pressed the button."
    assert report.details["request_data"]["route"] == f"/info/{node_id}"
    assert report.details["request_data"]["status"] == 400
    assert Participant.objects.get(pk=participant_id).status in ("submitted", "approved")


def test_error_without_a_page_goes_to_the_error_page_for_the_participant(browser, server_url, use_experiment):
    use_experiment(JS_CLIENT)
    participant_id = join(browser, server_url, "broken")

    run(browser, "dallinger.get('/broken').fail(function (r) { done(); dallinger.error(r); });")
    wait_for_path(browser, "/error-page")

    query = parse_qs(urlparse(browser.current_url).query)
    assert query["participant_id"] == [str(participant_id)]
    request_data = {"route": "/broken", "status": 500, "message": "Internal Server Error"}
    assert json.loads(query["request_data"][0]) == request_data
    assert browser.find_element(By.TAG_NAME, "h1").text == "Something went wrong"
    assert browser.find_element(By.CSS_SELECTOR, "[name=participant_id]").get_attribute("value") == str(participant_id)


# The waiting room ----------------------------------------------------------------------


def test_wait_for_quorum_resolves_at_once_without_a_quorum(browser, server_url):
    browser.get(f"{server_url}/consent")

    assert settle(browser, "dallinger.waitForQuorum()") == {"resolved": True, "value": None}


def test_wait_for_quorum_stays_pending_until_update_quorum_reaches_it(browser, server_url):
    browser.get(f"{server_url}/consent")
    browser.execute_script(
        "window.outcomes = [];"
        "dallinger.updateQuorum({q: 3, n: 1, overrecruited: false});"
        "window.waiting = dallinger.waitForQuorum().done(function (state) { window.outcomes.push(state); });"
        "dallinger.updateQuorum({q: 3, n: 2, overrecruited: false});"
    )
    short = browser.execute_script("return [window.waiting.state(), window.outcomes.length];")

    browser.execute_script("dallinger.updateQuorum({q: 3, n: 3, overrecruited: false});")

    assert short == ["pending", 0]
    assert browser.execute_script("return [window.waiting.state(), window.outcomes];") == [
        "resolved",
        [{"q": 3, "n": 3, "overrecruited": False}],
    ]
    assert settle(browser, "dallinger.waitForQuorum()")["resolved"]  # reached: later waits end at once


def test_with_group_formation_only_the_frame_naming_the_participant_releases_them(browser, server_url):
    browser.get(f"{server_url}/consent")
    browser.execute_script(
        "window.outcomes = [];"
        "dallinger.identity.participantId = '7';"
        "dallinger.updateQuorum({q: 3, n: 1, overrecruited: false, grouping: true});"
        "window.waiting = dallinger.waitForQuorum().done(function (frame) { window.outcomes.push(frame); });"
        # Enough arrivals for a group, and another group formed: neither is this participant's.
        "dallinger.updateQuorum({q: 3, n: 4, overrecruited: false, grouping: true});"
        "dallinger.updateQuorum({type: 'group', network_id: 2, participant_ids: [4, 5, 6]});"
    )
    short = browser.execute_script("return [window.waiting.state(), window.outcomes.length];")

    browser.execute_script("dallinger.updateQuorum({type: 'group', network_id: 3, participant_ids: [7, 8, 9]});")

    assert short == ["pending", 0]
    assert browser.execute_script("return [window.waiting.state(), dallinger.group.network_id, dallinger.skip_experiment];") == [
        "resolved",
        3,
        False,
    ]


def test_a_waiter_released_when_the_wait_runs_out_skips_the_experiment(browser, server_url):
    browser.get(f"{server_url}/consent")
    browser.execute_script(
        "dallinger.identity.participantId = '7';"
        "dallinger.updateQuorum({q: 3, n: 1, overrecruited: false, grouping: true});"
        "window.waiting = dallinger.waitForQuorum();"
        "dallinger.updateQuorum({type: 'released', participant_ids: [7]});"
    )

    assert browser.execute_script("return [window.waiting.state(), dallinger.skip_experiment];") == ["resolved", True]


def test_create_participant_waits_for_the_quorum(browser, server_url, use_experiment):
    use_experiment(JS_CLIENT, waiting_room_size=2)
    enter(browser, server_url, "early")
    browser.execute_script("window.joining = dallinger.createParticipant();")
    WebDriverWait(browser, 10).until(lambda driver: driver.execute_script("return dallinger.quorum;"))

    state = browser.execute_script(
        "return [window.joining.state(), dallinger.quorum, dallinger.identity.participantId];"
    )
    browser.execute_script("dallinger.updateQuorum({q: 2, n: 2, overrecruited: false});")

    assert state[:2] == ["pending", {"q": 2, "n": 1, "overrecruited": False}]
    assert Participant.objects.get(pk=state[2]).status == "working"
    assert browser.execute_script("return [window.joining.state(), dallinger.skip_experiment];") == ["resolved", False]


def test_the_participant_who_completes_the_quorum_starts_at_once(
    browser, server_url, use_experiment, make_participant
):
    use_experiment(JS_CLIENT, waiting_room_size=2)
    make_participant()
    enter(browser, server_url, "second")

    answer = resolved(browser, "dallinger.createParticipant()")

    assert answer["quorum"] == {"q": 2, "n": 2, "overrecruited": False}
    assert browser.execute_script("return dallinger.skip_experiment;") is False


def test_an_overrecruited_participant_skips_the_experiment(browser, server_url, use_experiment, make_participant):
    use_experiment(JS_CLIENT, waiting_room_size=2)
    make_participant()
    make_participant()
    enter(browser, server_url, "third")

    answer = resolved(browser, "dallinger.createParticipant()")

    assert answer["quorum"] == {"q": 2, "n": 3, "overrecruited": True}
    assert browser.execute_script("return dallinger.skip_experiment;") is True
    assert Participant.objects.get(worker_id="third").status == "overrecruited"


def test_the_waiting_room_sends_an_overrecruited_participant_to_the_questionnaire(
    browser, server_url, use_experiment, make_participant
):
    use_experiment(JS_CLIENT, waiting_room_size=1)
    make_participant()
    enter(browser, server_url, "crowded", page="waiting")

    wait_for_path(browser, "/questionnaire")

    participant = Participant.objects.get(worker_id="crowded")
    assert participant.status == "overrecruited"
    assert parse_qs(urlparse(browser.current_url).query) == {"participant_id": [str(participant.pk)]}


def test_a_participant_a_bot_replaced_is_sent_to_the_exit_page_by_their_next_request(
    browser, server_url, use_experiment
):
    from django.db import transaction

    from experiments import runtime
    from experiments.services.dropouts import bot_substitute

    use_experiment("pushbutton")
    participant_id = join(browser, server_url, "away")
    node_id = resolved(browser, "dallinger.createAgent()")["node"]["id"]
    with transaction.atomic():
        bot_substitute(experiment=runtime.experiment(), participant=Participant.objects.get(pk=participant_id))

    run(browser, "dallinger.createInfo(args[0], {contents: 'late'}).always(function () { done(); });", node_id)
    wait_for_path(browser, "/recruiter-exit")

    assert parse_qs(urlparse(browser.current_url).query)["participant_id"] == [str(participant_id)]
    assert "a computer player took your place" in browser.find_element(By.TAG_NAME, "body").text
