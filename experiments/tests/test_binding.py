"""Participants are bound to the browser or bot that created them (experiments/binding.py).

Whoever knows a participant's id (they count up, and travel in URLs) but did not create the
participant can neither change their record or status nor read their assignment; the browser
that created them can, for as many participants as it created.
"""

import pytest
from django.test import Client

from core.infos import TrackingEvent
from core.models import Info, Node, Notification, Participant, Question, Transformation, Transmission
from experiments import urls
from experiments.binding import COOKIE_PREFIX, cookie_name, participant_token
from experiments.tests.api_support import assert_error, create_participant, post_form, success

#: Every route that changes a participant's record or status, with how to call it for the
#: participant `p` (whose node is `n`, holding an info `i`, with a pending transmission
#: into `n` from node `s`). Each must refuse a caller who did not create the participant.
BOUND_ROUTES = {
    "node/<str:participant_id>": ("post", "/node/{p}", {}),
    "question/<str:participant_id>": ("post", "/question/{p}", {"question": "q", "response": "r", "number": 1}),
    "worker_complete": ("post", "/worker_complete", {"participant_id": "{p}"}),
    "worker_failed": ("get", "/worker_failed", {"participant_id": "{p}"}),
    "prolific-submission-listener": ("post", "/prolific-submission-listener", {"participantId": "{p}"}),
    "info/<str:node_id>": ("post", "/info/{n}", {"contents": "forged"}),
    "tracking_event/<str:node_id>": ("post", "/tracking_event/{n}", {"details": '{{"event": "forged"}}'}),
    "node/<str:node_id>/transmit": ("post", "/node/{n}/transmit", {}),
    "node/<str:node_id>/connect/<str:other_node_id>": ("post", "/node/{n}/connect/{s}", {}),
    "node/<str:node_id>/transmissions": ("get", "/node/{n}/transmissions", {"status": "pending"}),
    "transformation/<str:node_id>/<str:info_in_id>/<str:info_out_id>": ("post", "/transformation/{n}/{i}/{i}", {}),
}

#: The other routes, and why a stranger may call them.
OPEN_ROUTES = {
    "participant/<str:worker_id>/<str:hit_id>/<str:assignment_id>/<str:mode>": "creates a participant (and binds it)",
    "participant": "creates a participant (and binds it)",
    "participant/<str:participant_id>": "reads; withholds the assignment from strangers",
    "load-participant": "reads; withholds the assignment from strangers",
    "node/<str:node_id>/neighbors": "reads",
    "node/<str:node_id>/vectors": "reads",
    "node/<str:node_id>/infos": "reads",
    "node/<str:node_id>/received_infos": "reads",
    "node/<str:node_id>/transformations": "reads",
    "network/<str:network_id>": "reads",
    "info/<str:node_id>/<str:info_id>": "reads",
    "notifications": "off unless the configuration trusts it",
    "mturk-sns-listener": "only messages Amazon SNS signed for the experiment's topic",
    "summary": "reads",
    "launch": "the experiment's, not a participant's",
    "experiment/<str:prop>": "reads",
    "recruiter-exit": "changes nothing; shows the exit page to the participant's browser only",
    "ad_address/<str:mode>/<str:hit_id>": "reads",
    "error-page": "changes nothing; withholds the assignment from strangers",
    "handle-error": "keeps a stranger's report, but completes only the participant's own",
    "static/<path:path>": "files",
    "favicon.ico": "a file",
    "": "the index page",
    "ad": "the ad page",
    "<path:path>": "pages and the experiment's own routes",
}


def test_every_route_is_either_bound_or_open_for_a_reason():
    patterns = {str(pattern.pattern) for pattern in urls.urlpatterns}
    assert patterns == set(BOUND_ROUTES) | set(OPEN_ROUTES)
    assert not set(BOUND_ROUTES) & set(OPEN_ROUTES)


@pytest.fixture
def victim(client, bartlett):
    """A working participant created by `client`, with a node holding an info, and a pending
    transmission into that node from a source node."""
    participant = create_participant(client)["participant"]
    node = Node.objects.get(pk=success(client.post(f"/node/{participant['id']}"))["node"]["id"])
    info = Info(origin=node, contents="mine")
    info.save()
    source = Node(network=node.network)
    source.save()
    source.connect(whom=node)
    Info(origin=source, contents="for you").save()
    source.transmit()
    return {"p": participant["id"], "n": node.pk, "i": info.pk, "s": source.pk}


def _record(participant_id) -> tuple:
    participant = Participant.objects.get(pk=participant_id)
    return (
        participant.status,
        participant.end_time,
        Node.objects.count(),
        Info.objects.count(),
        Question.objects.count(),
        TrackingEvent.objects.count(),
        Transformation.objects.count(),
        sorted(Transmission.objects.values_list("id", "status")),
        Notification.objects.count(),
    )


def _call(client, route, ids):
    method, path, params = BOUND_ROUTES[route]
    path = path.format(**ids)
    params = {name: value.format(**ids) if isinstance(value, str) else value for name, value in params.items()}
    if method == "get":
        return client.get(path, params)
    return post_form(client, path, params)


@pytest.mark.parametrize("route", BOUND_ROUTES)
def test_a_stranger_is_refused_and_changes_nothing(victim, route):
    before = _record(victim["p"])

    response = _call(Client(), route, victim)

    assert_error(response, 403, error_code="participant_not_yours")
    assert _record(victim["p"]) == before


def _accepted(response, route) -> None:
    if route == "node/<str:participant_id>":
        # The victim already holds the demo's one place: asked again, the experiment (not the
        # binding) says no network is left.
        assert_error(response, 403, error_code="no_network_available")
    elif route == "prolific-submission-listener":
        # The victim came through hotair: past the binding, the route says it is not Prolific's.
        assert_error(response, 400, error_code="not_prolific")
    else:
        assert response.status_code == 200, response.content[:500]


@pytest.mark.parametrize("route", BOUND_ROUTES)
def test_the_browser_that_created_the_participant_may(client, victim, route):
    _accepted(_call(client, route, victim), route)


@pytest.mark.parametrize("route", BOUND_ROUTES)
def test_binding_can_be_turned_off_for_front_ends_without_cookies(victim, bartlett, route):
    bartlett.config.set("participant_binding", False)

    _accepted(_call(Client(), route, victim), route)


def test_creation_sets_a_private_cookie_for_the_participant(client, bartlett):
    participant = create_participant(client)["participant"]

    cookie = client.cookies[cookie_name(participant["id"])]
    assert cookie.value == participant_token(Participant.objects.get(pk=participant["id"]))
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert cookie["max-age"] > 24 * 3600


def test_one_browser_may_hold_several_participants(client, bartlett):
    first, second = (create_participant(client)["participant"] for _ in range(2))

    for participant in (first, second):
        success(post_form(client, f"/question/{participant['id']}", {"question": "q", "response": "r", "number": 1}))
    assert sorted(client.cookies) == sorted(cookie_name(p["id"]) for p in (first, second))


def test_a_token_proves_nothing_about_another_participant(client, bartlett):
    mine = create_participant(client)["participant"]
    theirs = create_participant(Client())["participant"]
    forger = Client()
    forger.cookies[cookie_name(theirs["id"])] = client.cookies[cookie_name(mine["id"])].value

    assert_error(forger.post(f"/node/{theirs['id']}"), 403, error_code="participant_not_yours")


def test_a_token_from_a_cleared_record_does_not_fit_a_new_participant_of_the_same_id(client, bartlett):
    participant = create_participant(client)["participant"]
    old_token = client.cookies[cookie_name(participant["id"])].value
    # The record is cleared and the id used again by someone else, a moment later.
    earlier = Participant.objects.get(pk=participant["id"]).creation_time
    Participant.objects.filter(pk=participant["id"]).update(creation_time=earlier.replace(microsecond=1))
    holder = Client()
    holder.cookies[cookie_name(participant["id"])] = old_token

    assert_error(holder.post(f"/node/{participant['id']}"), 403, error_code="participant_not_yours")


@pytest.mark.parametrize("route", ["/participant/{p}", "/load-participant?assignment_id={a}"])
def test_a_stranger_reads_a_participant_without_their_assignment(client, bartlett, route):
    entry = {"workerId": "W7", "hitId": "H7", "assignmentId": "A7", "mode": "debug", "note": "private"}
    created = success(post_form(client, "/participant", entry))["participant"]
    assert created["entry_information"] == {"note": "private"}
    path = route.format(p=created["id"], a=created["assignment_id"])
    send = Client().post if path.startswith("/load") else Client().get

    seen = success(send(path))["participant"]
    own = success((client.post if path.startswith("/load") else client.get)(path))["participant"]

    assert (seen["id"], seen["assignment_id"], seen["entry_information"]) == (created["id"], None, None)
    assert (own["assignment_id"], own["status"]) == (created["assignment_id"], "working")
    assert set(seen) == set(own)


def test_a_strangers_error_page_does_not_show_the_participants_assignment(client, bartlett):
    created = create_participant(client)["participant"]

    strangers = Client().get("/error-page", {"participant_id": created["id"]}).content.decode()
    owners = client.get("/error-page", {"participant_id": created["id"]}).content.decode()

    assert created["assignment_id"] not in strangers
    assert f'name="participant_id" value="{created["id"]}"' in strangers
    assert created["assignment_id"] in owners


def test_a_strangers_error_report_is_kept_but_completes_nobody(client, bartlett):
    created = create_participant(client)["participant"]

    Client().post("/handle-error", {"participant_id": created["id"], "error_feedback": "not mine"})

    assert Participant.objects.get(pk=created["id"]).status == "working"
    report = Notification.objects.get(event_type="ExperimentError")
    assert (report.details["participant_id"], report.details["from_participant"]) == (created["id"], False)


def test_the_participants_own_error_report_completes_them(client, bartlett):
    created = create_participant(client)["participant"]

    client.post("/handle-error", {"participant_id": created["id"], "error_feedback": "it broke"})

    assert Participant.objects.get(pk=created["id"]).status == "approved"
    assert Notification.objects.get(event_type="ExperimentError").details["from_participant"] is True


def test_only_the_participants_browser_sees_the_exit_page(client, bartlett):
    created = create_participant(client)["participant"]

    stranger = Client().get("/recruiter-exit", {"participant_id": created["id"]})
    own = client.get("/recruiter-exit", {"participant_id": created["id"]})

    assert stranger.status_code == 403 and created["assignment_id"] not in stranger.content.decode()
    assert own.status_code == 200


def test_cookies_of_other_sites_and_malformed_tokens_are_refused_not_errors(client, bartlett):
    created = create_participant(Client())["participant"]
    client.cookies[f"{COOKIE_PREFIX}{created['id']}"] = "not-a-token"
    client.cookies[f"{COOKIE_PREFIX}x"] = "whatever"

    assert_error(client.post(f"/node/{created['id']}"), 403, error_code="participant_not_yours")
