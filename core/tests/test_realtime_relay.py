"""The embedded default's relay route: signed, fresh frames only, and mounted only where it is used."""

import hashlib
import hmac
import importlib
import json
import time
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.urls import clear_url_caches

from core import realtime

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
BODY = json.dumps({"id": "request-1", "channel": "room", "text": 'room:{"type": "log"}'}).encode()


def reload_routes():
    import dallinger_project.urls

    importlib.reload(dallinger_project.urls)
    clear_url_caches()


@pytest.fixture
def routes(settings):
    """The project's routes as a deployment with `REDIS_URL` (or without) mounts them."""

    original = settings.REDIS_URL

    def mount(redis_url: str):
        settings.REDIS_URL = redis_url
        reload_routes()

    yield mount
    settings.REDIS_URL = original
    reload_routes()


@pytest.fixture
def relay(routes, settings):
    """The embedded default: the relay mounted, and a socket's inbox on channel `room`."""
    routes("")
    settings.CHANNEL_LAYERS = IN_MEMORY
    layer = get_channel_layer()
    inbox = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(realtime.group_name("room"), inbox)
    return lambda: async_to_sync(layer.receive)(inbox)["text"]


def post(client, *, sent_at: float, body: bytes | None = None, signed_at: float | None = None):
    """A relay request signed as sent at `sent_at` (Unix seconds), or carrying that time while
    signed with another (`signed_at`)."""
    body = (
        body
        if body is not None
        else json.dumps({"id": uuid.uuid4().hex, "channel": "room", "text": 'room:{"type": "log"}'}).encode()
    )
    timestamp = str(int(sent_at))
    signature = realtime.relay_signature(str(int(signed_at if signed_at is not None else sent_at)), body)
    return client.post(
        realtime.RELAY_PATH,
        data=body,
        content_type="application/json",
        headers={realtime.TIMESTAMP_HEADER: timestamp, realtime.SIGNATURE_HEADER: signature},
    )


def test_a_fresh_signed_frame_reaches_the_sockets(client, relay):
    response = post(client, sent_at=time.time())
    assert response.status_code == 200, response.content
    assert relay() == 'room:{"type": "log"}'


@pytest.mark.parametrize(
    ("age", "why"),
    [
        (61, "captured more than a minute ago and played again"),
        (3600, "an hour old"),
        (-30, "from the future"),
    ],
)
def test_a_signed_frame_outside_its_minute_is_refused(client, relay, age, why):
    response = post(client, sent_at=time.time() - age)
    assert response.status_code == 403, why
    assert response.json()["status"] == "error"
    assert "60 seconds" in response.json()["message"]


def test_a_captured_request_cannot_be_made_fresh_by_changing_its_time(client, relay):
    # The signature covers the time: a new time on an old signature is no signature.
    response = post(client, sent_at=time.time(), signed_at=time.time() - 3600)
    assert response.status_code == 403
    assert response.json() == {"status": "error", "message": "The relay takes only signed requests."}


def body_only_signature(body: bytes) -> str:
    """The signature the relay once took: over the body alone, so valid for ever."""
    key = hashlib.sha256(b"dallinger.realtime.relay:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    "headers",
    [
        lambda: {},
        lambda: {realtime.SIGNATURE_HEADER: body_only_signature(BODY)},
        # Signed, but with a time that is not one.
        lambda: {realtime.TIMESTAMP_HEADER: "now", realtime.SIGNATURE_HEADER: realtime.relay_signature("now", BODY)},
        lambda: {realtime.TIMESTAMP_HEADER: "", realtime.SIGNATURE_HEADER: realtime.relay_signature("", BODY)},
    ],
    ids=["unsigned", "body only signed", "not a time", "no time"],
)
def test_a_request_without_a_signed_time_is_refused(client, relay, headers):
    response = client.post(realtime.RELAY_PATH, data=BODY, content_type="application/json", headers=headers())
    assert response.status_code == 403
    assert response.json()["status"] == "error"


def test_with_redis_the_relay_route_is_not_there(client, routes):
    routes("redis://127.0.0.1:1/0")
    response = post(client, sent_at=time.time())
    assert response.status_code == 404


def test_a_request_played_again_within_its_minute_is_refused(client, relay):
    captured = json.dumps({"id": "captured", "channel": "room", "text": 'room:{"type": "log"}'}).encode()
    now = time.time()

    assert post(client, sent_at=now, body=captured).status_code == 200
    assert relay() == 'room:{"type": "log"}'
    again = post(client, sent_at=now, body=captured)

    assert again.status_code == 403
    assert again.json() == {"status": "error", "message": "The relay took this request already."}


def test_a_request_without_an_id_is_refused(client, relay):
    unnamed = json.dumps({"channel": "room", "text": 'room:{"type": "log"}'}).encode()
    response = post(client, sent_at=time.time(), body=unnamed)
    assert response.status_code == 400


def test_a_frame_for_one_participant_reaches_their_sockets_only(client, relay):
    layer = get_channel_layer()
    theirs = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(realtime.participant_group_name(7, "quorum"), theirs)
    someone_elses = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(realtime.participant_group_name(8, "quorum"), someone_elses)
    text = 'quorum:{"type": "released", "participant_ids": [7]}'
    body = json.dumps({"id": uuid.uuid4().hex, "channel": "quorum", "text": text, "participant_id": 7}).encode()

    assert post(client, sent_at=time.time(), body=body).status_code == 200
    assert async_to_sync(layer.receive)(theirs)["text"] == text
    # Another participant's sockets got nothing: the in-memory layer makes a channel's queue
    # only when something is sent to it.
    assert someone_elses not in layer.channels


@pytest.mark.parametrize("participant_id", ["7", 0, -1, 1.5, [7]])
def test_a_frame_for_a_participant_that_is_not_an_id_is_refused(client, relay, participant_id):
    body = json.dumps(
        {"id": uuid.uuid4().hex, "channel": "quorum", "text": "quorum:{}", "participant_id": participant_id}
    ).encode()
    response = post(client, sent_at=time.time(), body=body)
    assert response.status_code == 400
    assert response.json()["status"] == "error"
