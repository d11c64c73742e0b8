"""The info routes (GET /info/<node>/<info>, POST /info/<node>), tracking events and
transformations, and how every route reads its parameters."""

import pytest

from core.infos import TrackingEvent
from core.models import Info, Node, Transformation
from experiments.tests.api_support import SENDERS, assert_error, create_participant, hook_calls, post_form, success

INFO_KEYS = {
    "id", "creation_time", "failed", "failed_reason", "time_of_death", "details", "type",
    "origin_id", "network_id", "contents", "object_type",
    "property1", "property2", "property3", "property4", "property5",
}  # fmt: skip


@pytest.fixture
def classes(recording):
    """The recording experiment's module, for its own classes (Guess, Unlisted, Player, Rewrite)."""
    return recording().module


@pytest.fixture
def participant_node(client, classes):
    """A working participant's node (made through the API), and the participant."""
    participant = create_participant(client)["participant"]
    node = success(client.post(f"/node/{participant['id']}"))["node"]
    return node["id"], participant["id"]


@pytest.fixture
def pair(classes, make_node):
    """A sender connected to a receiver; the sender has made one info."""
    sender, receiver = make_node(classes.Player), make_node(classes.Player)
    sender.connect(whom=receiver)
    info = Info(origin=sender, contents="hello")
    info.save()
    return sender, receiver, info


# GET /info/<node_id>/<info_id> -----------------------------------------------------------------


def test_get_info_answers_an_info_the_node_made(client, pair):
    sender, _, info = pair

    body = success(client.get(f"/info/{sender.pk}/{info.pk}"))

    assert set(body["info"]) == INFO_KEYS
    assert (body["info"]["id"], body["info"]["contents"], body["info"]["origin_id"]) == (info.pk, "hello", sender.pk)
    assert (body["info"]["type"], body["info"]["object_type"]) == ("info", "Info")
    assert body["info"]["network_id"] == sender.network_id
    assert hook_calls("info_get_request") == [{"hook": "info_get_request", "node": sender.pk, "infos": info.pk}]


def test_get_info_answers_an_info_the_node_received(client, pair):
    sender, receiver, info = pair
    sender.transmit()
    receiver.receive()

    assert success(client.get(f"/info/{receiver.pk}/{info.pk}"))["info"]["id"] == info.pk


def test_get_info_refuses_an_info_only_sent_and_not_yet_received(client, pair):
    sender, receiver, info = pair
    sender.transmit()

    assert_error(client.get(f"/info/{receiver.pk}/{info.pk}"), 403)


def test_get_info_refuses_a_node_that_neither_made_nor_received_it(client, participant_node, make_node):
    node_id, participant_id = participant_node
    other = make_node()
    info = Info(origin=other, contents="secret")
    info.save()

    body = assert_error(client.get(f"/info/{node_id}/{info.pk}"), 403, message="neither made nor received")

    # The error page lets the participant report the problem under their own ids.
    assert f'name="participant_id" value="{participant_id}"' in body["html"]
    assert hook_calls("info_get_request") == []


def test_get_info_of_an_unknown_info_or_node_is_a_bad_request(client, pair):
    sender, _, info = pair

    assert_error(client.get(f"/info/{sender.pk}/999"), 400, error_code="info_not_found")
    assert_error(client.get(f"/info/999/{info.pk}"), 400, error_code="node_not_found")


# POST /info/<node_id> --------------------------------------------------------------------------


@pytest.mark.parametrize("send", SENDERS.values(), ids=SENDERS.keys())
def test_post_info_creates_it_with_its_details_and_properties(client, participant_node, send):
    node_id, _ = participant_node
    properties = {f"property{number}": f"p{number}" for number in range(1, 6)}

    response = send(client, f"/info/{node_id}", {"contents": "my story", "details": '{"draft": 2}', **properties})

    info = success(response)["info"]
    assert response["Access-Control-Allow-Origin"] == "*"
    assert (info["contents"], info["origin_id"], info["type"], info["failed"]) == ("my story", node_id, "info", False)
    assert info["details"] == {"draft": 2}
    assert {name: info[name] for name in properties} == properties
    stored = Info.objects.get(pk=info["id"])
    assert (stored.contents, stored.details, stored.property3) == ("my story", {"draft": 2}, "p3")
    assert hook_calls("info_post_request") == [{"hook": "info_post_request", "node": node_id, "info": info["id"]}]


def test_post_info_takes_a_multipart_form(client, participant_node):
    node_id, _ = participant_node

    info = success(client.post(f"/info/{node_id}", {"contents": "multipart", "property1": "x"}))["info"]

    assert (info["contents"], info["property1"]) == ("multipart", "x")


def test_post_info_takes_details_as_an_object_in_a_json_body(client, participant_node):
    node_id, _ = participant_node

    response = client.post(
        f"/info/{node_id}", {"contents": "c", "details": {"n": [1]}}, content_type="application/json"
    )

    assert success(response)["info"]["details"] == {"n": [1]}


def test_post_info_of_a_known_class(client, participant_node):
    node_id, _ = participant_node

    info = success(post_form(client, f"/info/{node_id}", {"contents": "42", "info_type": "Guess"}))["info"]

    assert info["type"] == "recording_guess"
    assert type(Info.objects.get(pk=info["id"])).__name__ == "Guess"


def test_post_info_without_contents_is_a_bad_request(client, participant_node):
    node_id, _ = participant_node

    response = post_form(client, f"/info/{node_id}", {"info_type": "Guess"})

    assert_error(response, 400, message="contents")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert not Info.objects.exists()


@pytest.mark.parametrize("info_type", ["Banana", "Unlisted", "Player"])
def test_post_info_of_a_class_it_does_not_know_as_an_info_is_a_bad_request(client, participant_node, info_type):
    node_id, _ = participant_node

    assert_error(
        post_form(client, f"/info/{node_id}", {"contents": "c", "info_type": info_type}), 400, message=info_type
    )
    assert not Info.objects.exists()


def test_post_info_at_an_unknown_node_is_a_bad_request(client, classes):
    assert_error(post_form(client, "/info/999", {"contents": "c"}), 400, error_code="node_not_found")


def test_post_info_at_a_failed_node_is_refused(client, participant_node):
    node_id, participant_id = participant_node
    Node.objects.get(pk=node_id).fail()

    body = assert_error(post_form(client, f"/info/{node_id}", {"contents": "late"}), 403, message="failed")

    assert f'name="participant_id" value="{participant_id}"' in body["html"]
    assert not Info.objects.exists()


@pytest.mark.parametrize("flag", ["True", "true"])
def test_post_info_at_a_failed_node_creates_a_failed_info_when_asked(client, participant_node, flag):
    node_id, _ = participant_node
    Node.objects.get(pk=node_id).fail()

    info = success(post_form(client, f"/info/{node_id}", {"contents": "late", "failed": flag}))["info"]

    assert info["failed"] is True
    assert Info.objects.get(pk=info["id"]).failed


def test_post_info_refuses_a_failed_flag_it_cannot_read(client, participant_node):
    node_id, _ = participant_node

    assert_error(post_form(client, f"/info/{node_id}", {"contents": "c", "failed": "maybe"}), 400, message="failed")


# POST /tracking_event/<node_id> --------------------------------------------------------------


@pytest.mark.parametrize("send", SENDERS.values(), ids=SENDERS.keys())
def test_tracking_event_is_stored_for_the_node(client, participant_node, send):
    node_id, _ = participant_node

    body = success(send(client, f"/tracking_event/{node_id}", {"details": '{"event": "click", "x": 3}'}))

    assert body["details"] == {"event": "click", "x": 3}
    event = TrackingEvent.objects.get()
    assert (event.origin_id, event.details, event.type) == (node_id, {"event": "click", "x": 3}, "tracking_event")


@pytest.mark.parametrize("params", [{}, {"details": "not json"}, {"details": '"a string"'}])
def test_tracking_event_without_json_details_is_a_bad_request(client, participant_node, params):
    node_id, _ = participant_node

    assert_error(post_form(client, f"/tracking_event/{node_id}", params), 400, message="details")
    assert not Info.objects.exists()


def test_tracking_event_at_an_unknown_node_is_a_bad_request(client, classes):
    response = post_form(client, "/tracking_event/999", {"details": "{}"})
    assert_error(response, 400, error_code="node_not_found")


# POST /transformation/<node_id>/<info_in_id>/<info_out_id> -----------------------------------------


@pytest.fixture
def made_from(pair):
    """The receiver got the sender's info and made a new one from it."""
    sender, receiver, info_in = pair
    sender.transmit()
    receiver.receive()
    info_out = Info(origin=receiver, contents="hello again")
    info_out.save()
    return receiver, info_in, info_out


@pytest.mark.parametrize("send", SENDERS.values(), ids=SENDERS.keys())
def test_transformation_is_recorded_at_the_node(client, made_from, send):
    node, info_in, info_out = made_from

    response = send(
        client, f"/transformation/{node.pk}/{info_in.pk}/{info_out.pk}", {"details": '{"k": 1}', "property2": "v"}
    )

    transformation = success(response)["transformation"]
    assert (transformation["info_in_id"], transformation["info_out_id"]) == (info_in.pk, info_out.pk)
    assert (transformation["node_id"], transformation["network_id"]) == (node.pk, node.network_id)
    assert (transformation["object_type"], transformation["details"], transformation["property2"]) == (
        "Transformation", {"k": 1}, "v",
    )  # fmt: skip
    assert Transformation.objects.get().type == "transformation"
    assert hook_calls("transformation_post_request") == [
        {"hook": "transformation_post_request", "node": node.pk, "transformation": transformation["id"]}
    ]


def test_transformation_of_a_known_type(client, made_from):
    node, info_in, info_out = made_from

    response = post_form(
        client, f"/transformation/{node.pk}/{info_in.pk}/{info_out.pk}", {"transformation_type": "Rewrite"}
    )

    assert Transformation.objects.get(pk=success(response)["transformation"]["id"]).type == "recording_rewrite"


@pytest.mark.parametrize("transformation_type", ["Banana", "Guess"])
def test_transformation_of_a_type_it_does_not_know_is_a_bad_request(client, made_from, transformation_type):
    node, info_in, info_out = made_from

    response = post_form(
        client, f"/transformation/{node.pk}/{info_in.pk}/{info_out.pk}", {"transformation_type": transformation_type}
    )

    assert_error(response, 400, message=transformation_type)
    assert not Transformation.objects.exists()


def test_transformation_refuses_unknown_or_unrelated_infos(client, made_from, pair):
    node, info_in, info_out = made_from
    sender = pair[0]
    unreceived = Info(origin=sender, contents="never sent")
    unreceived.save()

    assert_error(client.post(f"/transformation/999/{info_in.pk}/{info_out.pk}"), 400, error_code="node_not_found")
    assert_error(client.post(f"/transformation/{node.pk}/999/{info_out.pk}"), 400, error_code="info_not_found")
    assert_error(client.post(f"/transformation/{node.pk}/{info_in.pk}/999"), 400, error_code="info_not_found")
    # info_out must be the node's own, and info_in must have reached the node.
    assert_error(client.post(f"/transformation/{node.pk}/{info_out.pk}/{info_in.pk}"), 400, message="not made by")
    body = assert_error(
        client.post(f"/transformation/{node.pk}/{unreceived.pk}/{info_out.pk}"), 400, message="same node"
    )
    assert "Something went wrong" in body["html"]
    assert not Transformation.objects.exists()


# Parameters and envelopes, across routes -------------------------------------------------------


def test_query_string_and_body_together_prefer_the_body(client, participant_node):
    node_id, _ = participant_node

    response = client.post(
        f"/info/{node_id}?contents=from-query&property1=q",
        "contents=from-body",
        content_type="application/x-www-form-urlencoded",
    )

    info = success(response)["info"]
    assert (info["contents"], info["property1"]) == ("from-body", "q")


@pytest.mark.parametrize(
    "route", ["/info/{node}", "/tracking_event/{node}", "/node/{node}/transmit", "/node/{participant}"]
)
def test_a_malformed_json_body_is_a_bad_request_everywhere(client, participant_node, route):
    node_id, participant_id = participant_node
    url = route.format(node=node_id, participant=participant_id)

    response = client.post(url, '{"contents": ', content_type="application/json")

    assert_error(response, 400, message="JSON")


def test_a_property_too_long_to_store_is_a_bad_request(client, participant_node):
    node_id, _ = participant_node

    response = post_form(client, f"/info/{node_id}", {"contents": "c", "property1": "x" * 100_001})

    assert_error(response, 400, message="property1")
    assert not Info.objects.exists()
