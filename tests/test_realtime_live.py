"""`/chat` across processes: two daphne servers sharing Redis, and the embedded default's relay
that carries a frame published by another process (a worker, a bot) to the web server's sockets.
"""

import json
import os
import signal
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import websocket
from django.db import connection
from django.utils import timezone

from core import realtime
from core.models import Participant
from core.record import clear_record
from experiments.models import Presence
from experiments.services.liveness import PROCESS_GONE_SECONDS
from experiments.services.presence import presence_sweep
from experiments.tests.realtime_support import GroupGame
from tests.polling import poll_until
from tests.web_servers import HOST, WebServers, holding, server_environment

ROOM = Path(__file__).resolve().parents[1] / "experiments" / "tests" / "experiments" / "realtime_room"
WAIT = 10  # seconds a frame may take before the test fails

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def start_servers(count, tmp_path_factory, *, redis: bool) -> WebServers:
    if connection.vendor != "postgresql":
        pytest.skip("several processes need a shared PostgreSQL database")
    environment = server_environment(settings_dict=dict(connection.settings_dict), experiment=ROOM)
    if redis:
        if not os.environ.get("REDIS_URL"):
            pytest.skip("needs Redis: run the tests with scripts/test")
        environment["REDIS_URL"] = os.environ["REDIS_URL"]
    return WebServers(count=count, environment=environment, log_dir=tmp_path_factory.mktemp("realtime-web"))


@pytest.fixture(scope="module")
def redis_servers(django_db_setup, django_db_blocker, tmp_path_factory):
    """Two daphne processes with the channel layer on Redis."""
    with django_db_blocker.unblock():
        web = start_servers(2, tmp_path_factory, redis=True)
    yield web
    web.stop()


@pytest.fixture(scope="module")
def embedded_server(django_db_setup, django_db_blocker, tmp_path_factory):
    """One daphne process with the in-memory channel layer (the embedded default)."""
    with django_db_blocker.unblock():
        web = start_servers(1, tmp_path_factory, redis=False)
    yield web
    web.stop()


def participant(number: int) -> Participant:
    record = Participant(recruiter_id="hotair", worker_id=f"w{number}", assignment_id=f"a{number}", hit_id="h")
    record.save()
    return record


def open_socket(port: int, channels: str, who: Participant) -> websocket.WebSocket:
    cookie = "; ".join(f"{name}={value}" for name, value in holding(who.pk).items())
    url = f"ws://{HOST}:{port}/chat?channel={channels}&participant_id={who.pk}"
    return websocket.create_connection(url, timeout=WAIT, cookie=cookie)


def close_and_wait(*sockets: websocket.WebSocket, held_by: list[Participant]) -> None:
    """Close the sockets and wait for their server to record it, so that the test's database
    is not emptied while the server is still writing to it."""
    for sock in sockets:
        sock.close()
    poll_until(
        lambda: not Presence.objects.filter(pk__in=[who.pk for who in held_by], sockets__gt=0).exists(),
        "the server to record the closed sockets",
        timeout=WAIT,
    )


def next_frame(sock: websocket.WebSocket) -> str:
    """The next frame that is not a control event."""
    while True:
        text = sock.recv()
        if not text.startswith("dallinger_control:"):
            return text


def test_a_frame_sent_to_one_server_reaches_a_socket_on_the_other(redis_servers):
    clear_record()
    alice, bob = participant(1), participant(2)
    a = open_socket(redis_servers.ports[0], "chat", alice)
    b = open_socket(redis_servers.ports[1], "chat", bob)
    try:
        a.send('chat:{"content": "across"}')
        assert next_frame(b) == 'chat:{"content": "across"}'
        assert next_frame(a) == 'chat:{"content": "across"}'
        b.send("chat:back")
        assert next_frame(a) == "chat:back"
    finally:
        close_and_wait(a, b, held_by=[alice, bob])
    assert not redis_servers.new_tracebacks()


def test_frames_published_from_synchronous_code_share_one_redis_connection(redis_servers, monkeypatch):
    clear_record()
    # This test process plays a web request thread or a Celery task: not the process holding
    # sockets, publishing through Redis.
    monkeypatch.setattr(realtime, "_serving_websockets", False)
    counter = redis.Redis.from_url(os.environ["REDIS_URL"])
    alice = participant(1)
    a = open_socket(redis_servers.ports[0], "room", alice)
    try:
        realtime.publish("room", {"n": 0})  # the first opens the process's connection
        assert json.loads(next_frame(a).split(":", 1)[1]) == {"n": 0}
        before = counter.info("stats")["total_connections_received"]

        # When twenty more frames are published, one after the other
        for number in range(1, 21):
            realtime.publish("room", {"n": number})

        # Then each reaches the socket, in order
        assert [json.loads(next_frame(a).split(":", 1)[1])["n"] for _ in range(20)] == list(range(1, 21))
        # and Redis took no new connection for them (before, each frame opened one)
        assert counter.info("stats")["total_connections_received"] - before <= 1
    finally:
        close_and_wait(a, held_by=[alice])
    assert not redis_servers.new_tracebacks()


def test_on_the_embedded_default_another_process_publishes_through_the_relay(embedded_server, settings, monkeypatch):
    clear_record()
    port = embedded_server.ports[0]
    # This test process plays a Celery worker: no Redis, and not the process holding sockets.
    settings.REDIS_URL = ""
    settings.DALLINGER_BASE_URL = f"http://{HOST}:{port}"
    monkeypatch.setattr(realtime, "_serving_websockets", False)
    alice = participant(1)
    a = open_socket(port, "room", alice)
    try:
        realtime.publish("room", {"type": "log", "content": "from a worker"})
        assert json.loads(next_frame(a).split(":", 1)[1]) == {"type": "log", "content": "from a worker"}
    finally:
        close_and_wait(a, held_by=[alice])
    assert not embedded_server.new_tracebacks()


def test_the_relay_refuses_an_unsigned_frame(embedded_server):
    port = embedded_server.ports[0]
    body = json.dumps({"channel": "quorum", "text": 'quorum:{"q": 1, "n": 1}'}).encode()
    call = urllib.request.Request(f"http://{HOST}:{port}{realtime.RELAY_PATH}", data=body, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(call, timeout=WAIT)
    assert refused.value.code == 403
    assert json.loads(refused.value.read())["status"] == "error"


def test_the_socket_of_a_killed_server_that_never_heard_a_heartbeat_is_released_by_the_sweep(tmp_path_factory):
    clear_record()
    web = start_servers(1, tmp_path_factory, redis=False)
    alice = participant(1)
    try:
        # A Dallinger client: it sends no heartbeats. Its frame's echo shows the socket recorded.
        sock = open_socket(web.ports[0], "room", alice)
        sock.send("room:hello")
        assert next_frame(sock) == "room:hello"
        assert Presence.objects.get(pk=alice.pk).sockets == 1
        # The server is killed: nothing closes the socket nor says so.
        os.killpg(web.children[0].process.pid, signal.SIGKILL)
        web.children[0].process.wait(timeout=WAIT)
        sock.close()
    finally:
        web.stop()
    assert Presence.objects.get(pk=alice.pk).sockets == 1

    # Once the server has been silent longer than a live one ever is, and the grace period
    # has run from its last check-in, the sweep declares the participant gone.
    experiment = GroupGame()
    later = timezone.now() + timedelta(seconds=PROCESS_GONE_SECONDS + experiment.disconnect_grace_seconds + 1)
    assert presence_sweep(experiment=experiment, now=later) == [alice.pk]
    presence = Presence.objects.get(pk=alice.pk)
    assert (presence.sockets, presence.disconnected) == (0, True)
    assert experiment.calls == [("disconnected", alice.pk)]
