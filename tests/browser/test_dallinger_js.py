"""The browser client's requests: each `dallinger` request function against the live server.

For each call: the request it makes (checked by what the database holds afterwards or by the
answer), how its Deferred resolves, and how it is rejected on an error answer. The identity,
page flow, error page and waiting room are in test_dallinger_js_client.py.
"""

import json

import pytest

from core.models import Info, Node, Notification, Participant, Question
from tests.browser.dallinger_js import JS_CLIENT, enter, hold, identity, join, rejected, resolved, run, wait_for_path


@pytest.fixture
def pushbutton(use_experiment):
    """Push the button: one Empty network with room for two."""
    return use_experiment("pushbutton")


def make_agent(browser) -> dict:
    return resolved(browser, "dallinger.createAgent()")["node"]


# get and post --------------------------------------------------------------------------


def test_post_sends_its_data_as_a_form_and_resolves_with_the_answer(browser, server_url, pushbutton):
    join(browser, server_url, "poster")
    node = make_agent(browser)

    answer = resolved(
        browser,
        "dallinger.post('/info/' + args[0], {contents: 'hello', info_type: 'Meme', property1: 'p1',"
        " details: {colour: 'red', counts: [1, 2]}})",
        node["id"],
    )

    assert answer["status"] == "success"
    info = Info.objects.get(pk=answer["info"]["id"])
    assert (info.origin_id, info.contents, info.type, info.property1) == (node["id"], "hello", "meme", "p1")
    assert info.details == {"colour": "red", "counts": [1, 2]}
    assert answer["info"]["details"] == {"colour": "red", "counts": [1, 2]}


def test_get_sends_its_data_as_query_parameters(browser, server_url, pushbutton):
    join(browser, server_url, "getter")
    node = make_agent(browser)
    meme = resolved(browser, "dallinger.createInfo(args[0], {contents: 'm', info_type: 'Meme'})", node["id"])["info"]
    resolved(browser, "dallinger.createInfo(args[0], {contents: 'g', info_type: 'Gene'})", node["id"])

    memes = resolved(browser, "dallinger.get('/node/' + args[0] + '/infos', {info_type: 'Meme'})", node["id"])
    everything = resolved(browser, "dallinger.get('/node/' + args[0] + '/infos')", node["id"])

    assert [info["id"] for info in memes["infos"]] == [meme["id"]]
    assert sorted(info["contents"] for info in everything["infos"]) == ["g", "m"]


def test_get_and_post_use_their_own_method(browser, server_url, pushbutton):
    join(browser, server_url, "methodical")
    node = make_agent(browser)

    refused = rejected(browser, "dallinger.get('/info/' + args[0], {contents: 'by GET'})", node["id"])
    refused_post = rejected(browser, "dallinger.post('/summary')")

    assert (refused["status"], refused_post["status"]) == (405, 405)
    assert not Info.objects.filter(origin_id=node["id"]).exists()


def test_a_request_resolves_done_and_then_callbacks_with_the_payload(browser, server_url, pushbutton):
    join(browser, server_url, "chainer")

    result = run(
        browser,
        """
        var seen = [];
        var request = dallinger.get('/summary');
        var methods = ['done', 'fail', 'then', 'always', 'state'].map(function (m) { return typeof request[m]; });
        request.done(function (data) { seen.push(['done', data.status]); })
               .fail(function () { seen.push(['fail']); });
        request.then(function (data) { seen.push(['then', data.status]); return data.summary; })
               .then(function (summary) {
                 done({seen: seen, summary: summary, state: request.state(), methods: methods});
               });
        """,
    )

    assert result["methods"] == ["function"] * 5
    assert result["seen"] == [["done", "success"], ["then", "success"]]
    assert result["summary"] == [["working", 1]]
    assert result["state"] == "resolved"


def test_a_rejection_reaches_fail_and_then_callbacks_and_not_done(browser, server_url, use_experiment):
    use_experiment(JS_CLIENT)
    browser.get(f"{server_url}/")

    result = run(
        browser,
        """
        var seen = [];
        var request = dallinger.getExperimentProperty('secret');
        request.done(function () { seen.push('done'); })
               .fail(function (rejection) { seen.push(['fail', rejection.status]); });
        request.then(null, function (rejection) {
          seen.push(['then', rejection.status]);
          done({seen: seen, state: request.state(), rejection: describe(rejection)});
        });
        """,
    )

    assert result["seen"] == [["fail", 404], ["then", 404]]
    assert result["state"] == "rejected"
    assert result["rejection"]["isAjaxRejection"]


# Retries ------------------------------------------------------------------------------


def test_a_read_the_proxy_could_not_deliver_is_sent_again(browser, server_url, use_experiment):
    use_experiment(JS_CLIENT)
    browser.get(f"{server_url}/")

    answer = resolved(browser, "dallinger.get('/flaky/read')")

    assert answer["attempts"] == 2


def test_a_post_that_may_have_been_processed_is_not_sent_again(browser, server_url, use_experiment):
    use_experiment(JS_CLIENT)
    browser.get(f"{server_url}/")

    rejection = rejected(browser, "dallinger.post('/flaky/write')")

    assert rejection["status"] == 502
    assert Notification.objects.filter(event_type="flaky:write").count() == 1


# Rejections ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "route, status, message, with_html",
    [
        ("/experiment/secret", 404, "The experiment has no public property 'secret'.", True),
        ("/broken", 500, "Internal Server Error", False),
        ("/no/such/route/here", 404, "Not Found", False),
    ],
    ids=["json-error-404", "html-500", "html-404"],
)
def test_an_error_answer_rejects_with_its_status_message_and_page(
    browser, server_url, use_experiment, route, status, message, with_html
):
    use_experiment(JS_CLIENT)
    browser.get(f"{server_url}/")

    rejection = rejected(browser, "dallinger.get(args[0])", route)

    assert (rejection["status"], rejection["message"]) == (status, message)
    assert (rejection["html"] is not None) == with_html
    if with_html:
        assert "Something went wrong" in rejection["html"]
        assert 'action="/handle-error"' in rejection["html"]


def test_ajax_rejection_carries_status_html_message_and_error_code(browser, server_url):
    browser.get(f"{server_url}/")

    made = browser.execute_script(
        """
        var rejection = new dallinger.AjaxRejection(
          {status: 403, html: '<p>No</p>', message: 'Refused', errorCode: 'participant_not_found', route: '/node/9'});
        return [rejection.status, rejection.html, rejection.message, rejection.errorCode, rejection.route,
                rejection instanceof dallinger.AjaxRejection, String(rejection)];
        """
    )

    assert made == [
        403, "<p>No</p>", "Refused", "participant_not_found", "/node/9", True, "AjaxRejection(403, Refused)"
    ]


# Participants --------------------------------------------------------------------------


def test_create_participant_posts_the_identity_and_remembers_the_participant(browser, server_url, pushbutton):
    enter(browser, server_url, "ada", condition="blue")

    answer = resolved(browser, "dallinger.createParticipant()")
    again = resolved(browser, "dallinger.createParticipant()")

    participant = Participant.objects.get(worker_id="ada")
    assert answer["participant"]["id"] == participant.pk == again["participant"]["id"]
    assert answer["participant"]["worker_id"] == "ada"
    assert (participant.hit_id, participant.assignment_id, participant.mode) == ("hit1", "assign-ada", "debug")
    assert participant.recruiter_id == "hotair"
    assert participant.fingerprint_hash == identity(browser)["fingerprintHash"]
    assert participant.entry_information["condition"] == "blue"
    assert identity(browser)["participantId"] == str(participant.pk)
    assert Participant.objects.count() == 1


def test_create_participant_is_refused_for_a_worker_who_took_part_before(
    browser, server_url, pushbutton, make_participant
):
    make_participant(worker_id="returner", assignment_id="earlier", status="approved")
    enter(browser, server_url, "returner", page="consent")

    rejection = rejected(browser, "dallinger.createParticipant()")

    assert (rejection["status"], rejection["errorCode"]) == (403, "worker_already_participated")
    assert "already taken part" in rejection["html"]
    assert "participantId" not in identity(browser)
    assert Participant.objects.filter(worker_id="returner").count() == 1


def test_create_participant_without_an_assignment_is_rejected(browser, server_url, pushbutton):
    browser.get(f"{server_url}/consent")

    rejection = rejected(browser, "dallinger.createParticipant()")

    assert rejection["status"] == 400
    assert "assignment id" in rejection["message"]
    assert not Participant.objects.exists()


def test_load_participant_loads_the_assignments_participant_into_the_identity(
    browser, server_url, pushbutton, make_participant
):
    earlier = make_participant(worker_id="resumer", hit_id="hit7", assignment_id="resume-1")
    browser.get(f"{server_url}/consent")
    hold(browser, earlier)

    answer = resolved(browser, "dallinger.loadParticipant('resume-1')")

    assert answer["participant"]["id"] == earlier.pk
    loaded = identity(browser)
    assert (loaded["participantId"], loaded["assignmentId"], loaded["hitId"]) == (str(earlier.pk), "resume-1", "hit7")
    browser.get(f"{server_url}/consent")
    assert identity(browser)["participantId"] == str(earlier.pk)


def test_load_participant_accepts_the_recruiters_entry_parameters(browser, server_url, pushbutton, make_participant):
    earlier = make_participant(worker_id="prolific-1", assignment_id="session-1")
    browser.get(f"{server_url}/consent")
    hold(browser, earlier)

    answer = resolved(browser, "dallinger.loadParticipant({PROLIFIC_PID: 'prolific-1', SESSION_ID: 'session-1'})")

    assert answer["participant"]["id"] == earlier.pk
    assert identity(browser)["participantId"] == str(earlier.pk)


@pytest.mark.parametrize(
    "call, error_code",
    [
        ("dallinger.loadParticipant('nobody')", "participant_not_found"),
        ("dallinger.loadParticipant()", "assignment_id_missing"),
    ],
)
def test_load_participant_is_rejected_with_an_error_code(browser, server_url, pushbutton, call, error_code):
    browser.get(f"{server_url}/consent")

    rejection = rejected(browser, call)

    assert (rejection["status"], rejection["errorCode"]) == (403, error_code)
    assert "participantId" not in identity(browser)


# Nodes and infos -----------------------------------------------------------------------


def test_create_agent_makes_a_node_for_the_participant(browser, server_url, pushbutton):
    participant_id = join(browser, server_url, "agent")

    node = resolved(browser, "dallinger.createAgent({property1: 'left', details: {seat: 2}})")["node"]

    [stored] = Node.objects.filter(participant_id=participant_id)
    assert (node["id"], node["participant_id"], node["network_id"]) == (stored.pk, participant_id, stored.network_id)
    assert (stored.property1, stored.details) == ("left", {"seat": 2})


def test_create_agent_then_create_info_chain_with_their_payloads(browser, server_url, pushbutton):
    participant_id = join(browser, server_url, "chain")

    info = resolved(
        browser,
        "dallinger.createAgent().then(function (data) {"
        "  return dallinger.createInfo(data.node.id, {contents: 'pressed', details: {at: 3}});"
        "}).then(function (data) { return data.info; })",
    )

    stored = Info.objects.get(pk=info["id"])
    assert stored.origin.participant_id == participant_id
    assert (stored.contents, stored.details, info["contents"]) == ("pressed", {"at": 3}, "pressed")


def test_create_agent_for_an_unknown_participant_is_refused(browser, server_url, pushbutton):
    join(browser, server_url, "ghost")
    browser.execute_script("dallinger.identity.participantId = '999999';")

    rejection = rejected(browser, "dallinger.createAgent()")

    assert (rejection["status"], rejection["errorCode"]) == (403, "participant_not_found")
    assert not Node.objects.exists()


def test_create_agent_is_refused_when_no_network_has_room(browser, server_url, use_experiment, make_participant):
    use_experiment("pushbutton", num_participants=1)
    from experiments.runtime import experiment

    experiment().create_node(participant=make_participant(), network=experiment().networks()[0])
    join(browser, server_url, "latecomer")

    rejection = rejected(browser, "dallinger.createAgent()")

    assert (rejection["status"], rejection["errorCode"]) == (403, "no_network_available")


def test_create_info_without_contents_is_rejected_and_creates_nothing(browser, server_url, pushbutton):
    join(browser, server_url, "silent")
    node = make_agent(browser)

    rejection = rejected(browser, "dallinger.createInfo(args[0], {details: {a: 1}})", node["id"])
    unknown_type = rejected(browser, "dallinger.createInfo(args[0], {contents: 'x', info_type: 'Nope'})", node["id"])

    assert (rejection["status"], rejection["message"]) == (400, "contents is required to create an info.")
    assert "Something went wrong" in rejection["html"]
    assert unknown_type["status"] == 400
    assert not Info.objects.exists()


@pytest.fixture
def reader(browser, server_url, use_experiment):
    """A Bartlett participant whose node has received the story from the chain's source."""
    use_experiment("bartlett1932")
    join(browser, server_url, "reader")
    return make_agent(browser)


def test_get_received_infos_and_get_info_return_what_the_node_was_sent(browser, reader):
    received = resolved(browser, "dallinger.getReceivedInfos(args[0])", reader["id"])["infos"]
    [story] = received

    one = resolved(browser, "dallinger.getInfo(args[0], args[1])", reader["id"], story["id"])["info"]

    source_info = Info.objects.get(pk=story["id"])
    assert story["contents"] == source_info.contents and len(story["contents"]) > 200
    assert story["type"] == "info" and story["origin_id"] != reader["id"]
    assert one == story


def test_get_infos_returns_what_the_node_made(browser, reader):
    before = resolved(browser, "dallinger.getInfos(args[0])", reader["id"])["infos"]
    made = resolved(browser, "dallinger.createInfo(args[0], {contents: 'retold'})", reader["id"])["info"]

    after = resolved(browser, "dallinger.getInfos(args[0])", reader["id"])["infos"]

    assert before == []
    assert [info["id"] for info in after] == [made["id"]]


def test_get_transmissions_passes_direction_and_status(browser, reader):
    incoming = resolved(browser, "dallinger.getTransmissions(args[0])", reader["id"])["transmissions"]
    received = resolved(
        browser, "dallinger.getTransmissions(args[0], {direction: 'incoming', status: 'received'})", reader["id"]
    )["transmissions"]
    pending = resolved(browser, "dallinger.getTransmissions(args[0], {status: 'pending'})", reader["id"])
    outgoing = resolved(browser, "dallinger.getTransmissions(args[0], {direction: 'outgoing'})", reader["id"])

    [transmission] = incoming
    assert transmission["destination_id"] == reader["id"] and transmission["status"] == "received"
    assert received == incoming
    assert (pending["transmissions"], outgoing["transmissions"]) == ([], [])
    bad = rejected(browser, "dallinger.getTransmissions(args[0], {direction: 'sideways'})", reader["id"])
    assert bad["status"] == 400


def test_info_requests_about_unknown_or_foreign_things_are_rejected(browser, reader):
    other_node = Node.objects.exclude(pk=reader["id"]).get()  # the story's source
    own = resolved(browser, "dallinger.createInfo(args[0], {contents: 'mine'})", reader["id"])["info"]

    unknown_info = rejected(browser, "dallinger.getInfo(args[0], 999999)", reader["id"])
    foreign = rejected(browser, "dallinger.getInfo(args[0], args[1])", other_node.pk, own["id"])
    unknown_node = rejected(browser, "dallinger.getInfos(999999)")
    unknown_received = rejected(browser, "dallinger.getReceivedInfos(999999)")

    assert (unknown_info["status"], unknown_info["errorCode"]) == (400, "info_not_found")
    assert foreign["status"] == 403
    assert (unknown_node["status"], unknown_node["errorCode"]) == (400, "node_not_found")
    assert (unknown_received["status"], unknown_received["errorCode"]) == (400, "node_not_found")


# Experiment properties -----------------------------------------------------------------


def test_get_experiment_property_resolves_with_the_routes_answer(browser, server_url, use_experiment):
    use_experiment(JS_CLIENT)
    browser.get(f"{server_url}/")

    condition = resolved(browser, "dallinger.getExperimentProperty('condition')")
    labels = resolved(
        browser, "dallinger.getExperimentProperty('labels').then(function (data) { return data.labels; })"
    )

    assert condition == {"status": "success", "condition": "blue"}
    assert labels == ["a", "b"]


# Finishing -----------------------------------------------------------------------------


def test_submit_questionnaire_records_the_form_then_submits_and_leaves(browser, server_url, pushbutton):
    participant_id = join(browser, server_url, "answerer")
    browser.get(f"{server_url}/questionnaire?participant_id={participant_id}")
    browser.execute_script(
        "$('#satisfaction').val('6'); $('#engagement').val('2'); $('#comments').val('Fine, thanks');"
    )

    answer = resolved(browser, "dallinger.submitQuestionnaire('debrief')")
    wait_for_path(browser, f"/recruiter-exit?participant_id={participant_id}")

    assert answer["status"] == "success"
    question = Question.objects.get(participant_id=participant_id)
    assert (question.question, question.number) == ("debrief", 1)
    assert json.loads(question.response) == {
        "satisfaction": "6", "engagement": "2", "difficulty": "4", "comments": "Fine, thanks"
    }
    assert Participant.objects.get(pk=participant_id).status == "approved"
    assert "Thank you" in browser.find_element("tag name", "h1").text


def test_submit_questionnaire_for_an_unknown_participant_is_rejected_and_stays(browser, server_url, pushbutton):
    join(browser, server_url, "lost")
    browser.get(f"{server_url}/questionnaire?participant_id=999999")

    rejection = rejected(browser, "dallinger.submitQuestionnaire()")

    assert (rejection["status"], rejection["errorCode"]) == (403, "participant_not_found")
    assert "/questionnaire" in browser.current_url
    assert not Question.objects.exists()


def test_submit_assignment_completes_the_participant_and_goes_to_the_exit_page(browser, server_url, pushbutton):
    participant_id = join(browser, server_url, "finisher")

    answer = resolved(browser, "dallinger.submitAssignment()")
    wait_for_path(browser, f"/recruiter-exit?participant_id={participant_id}")

    assert answer["status"] == "success"
    assert Participant.objects.get(pk=participant_id).status == "approved"
    assert "Thank you" in browser.find_element("tag name", "h1").text


def test_submit_assignment_for_an_unknown_participant_is_rejected_and_stays(browser, server_url, pushbutton):
    participant_id = join(browser, server_url, "stranger")
    browser.execute_script("dallinger.identity.participantId = '999999';")

    rejection = rejected(browser, "dallinger.submitAssignment()")

    assert (rejection["status"], rejection["errorCode"]) == (400, "participant_not_found")
    assert "/ad?" in browser.current_url
    assert Participant.objects.get(pk=participant_id).status == "working"
