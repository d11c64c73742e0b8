"""The `/chat` websocket: binding, frames, fan-out, control events and the experiment's channel API."""

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from core.models import Notification, Participant, ParticipantStatus
from experiments.binding import cookie_name, participant_token
from experiments.tests.api_support import TEST_EXPERIMENTS

pytestmark = pytest.mark.django_db(transaction=True)

ROOM = TEST_EXPERIMENTS / "realtime_room"
WAIT = 5  # seconds a frame may take to arrive before the test fails


@pytest.fixture
def room(use_experiment):
    """The `realtime_room` test experiment (channel `room`): `room(room_quorum=2)`."""

    def use(**overrides):
        return use_experiment(ROOM, **overrides)

    use()
    return use


def new_participant(number: int, **fields) -> Participant:
    values = {"recruiter_id": "hotair", "worker_id": f"w{number}", "assignment_id": f"a{number}", "hit_id": "h"}
    values.update(fields)
    participant = Participant(**values)
    participant.save()
    return participant


def socket(query: str, *holding: Participant, cookies: dict | None = None) -> WebsocketCommunicator:
    from dallinger_project.asgi import application

    jar = dict(cookies or {})
    jar.update({cookie_name(p.pk): participant_token(p) for p in holding})
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if jar:
        headers.append((b"cookie", "; ".join(f"{k}={v}" for k, v in jar.items()).encode()))
    return WebsocketCommunicator(application, f"/chat?{query}", headers=headers)


async def frames_until_close(communicator) -> tuple[list[str], int | None]:
    """The text frames a socket receives, then its close code. The client then completes the
    closing handshake, as a browser does, so the consumer ends (left waiting on the channel
    layer, its task could not be cancelled when the test's event loop closed)."""
    texts = []
    while True:
        output = await communicator.receive_output(WAIT)
        if output["type"] == "websocket.close":
            await communicator.disconnect(code=output.get("code") or 1000, timeout=WAIT)
            return texts, output.get("code")
        texts.append(output["text"])


async def opened(communicator) -> WebsocketCommunicator:
    connected, _ = await communicator.connect(WAIT)
    assert connected
    return communicator


async def next_frame(communicator, skip_control=True) -> str:
    """The next frame, skipping control events unless asked for them."""
    while True:
        text = await communicator.receive_from(WAIT)
        if not (skip_control and text.startswith("dallinger_control:")):
            return text


def run(scenario):
    return async_to_sync(scenario)()


def messages_received() -> list[dict]:
    return [n.details for n in Notification.objects.filter(event_type="websocket_message").order_by("pk")]


# Binding ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "hold", "code"),
    [
        ("channel=room&participant_id={pk}", False, 4403),  # no cookie
        ("channel=room&participant_id={pk}", "other", 4403),  # another participant's cookie
        ("channel=room&participant_id=999999", True, 4404),  # unknown participant
        ("participant_id={pk}", True, 4400),  # no channel
        ("channel=room&participant_id=abc", True, 4400),
        ("channel=dallinger_control&participant_id={pk}", True, 4400),  # the control channel names every worker
    ],
)
def test_a_socket_that_may_not_speak_for_its_participant_is_closed_with_a_code(room, query, hold, code):
    participant = new_participant(1)
    other = new_participant(2)
    holding = {False: (), True: (participant,), "other": (other,)}[hold]

    async def scenario():
        communicator = socket(query.format(pk=participant.pk), *holding)
        await opened(communicator)
        texts, closed_with = await frames_until_close(communicator)
        assert closed_with == code
        assert json.loads(texts[0].split(":", 1)[1])["type"] == "error"

    run(scenario)


def test_a_groups_channel_admits_its_members_only(room, make_network, make_node):
    from experiments.models import GroupSeat

    mine, theirs = make_network(), make_network()
    with_node, seated, outsider = new_participant(1), new_participant(2), new_participant(3)
    make_node(network=mine, participant=with_node)
    GroupSeat.objects.create(participant=seated, network=mine)
    make_node(network=theirs, participant=outsider)
    group = f"dallinger_group_{mine.pk}"

    async def refused(query, *holding):
        communicator = socket(query, *holding)
        await opened(communicator)
        texts, closed_with = await frames_until_close(communicator)
        assert closed_with == 4403, texts
        assert json.loads(texts[0].split(":", 1)[1])["type"] == "error"

    async def scenario():
        for member in (with_node, seated):
            communicator = await opened(socket(f"channel=room,{group}&participant_id={member.pk}", member))
            await communicator.send_to("room:in")
            assert await next_frame(communicator) == "room:in"
            await communicator.disconnect()
        await refused(f"channel=room,{group}&participant_id={outsider.pk}", outsider)
        await refused(f"channel={group}")  # a socket that names no participant
        await refused(f"channel=dallinger_group_0{mine.pk}&participant_id={with_node.pk}", with_node)
        await refused(f"channel=dallinger_group_&participant_id={with_node.pk}", with_node)

    run(scenario)


def test_with_participant_binding_off_a_socket_needs_no_cookie(room):
    room(participant_binding=False)
    participant = new_participant(1)

    async def scenario():
        communicator = await opened(socket(f"channel=room&participant_id={participant.pk}"))
        await communicator.send_to("room:hello")
        assert await next_frame(communicator) == "room:hello"
        await communicator.disconnect()

    run(scenario)


# Frames and fan-out ---------------------------------------------------------------------


def test_a_frame_reaches_every_subscriber_including_the_sender_and_no_other_channel(room):
    alice, bob, carol = new_participant(1), new_participant(2), new_participant(3)

    async def scenario():
        a = await opened(socket(f"channel=chat&participant_id={alice.pk}", alice))
        b = await opened(socket(f"channel=chat,news&participant_id={bob.pk}", bob))
        c = await opened(socket(f"channel=news&participant_id={carol.pk}", carol))
        await a.send_to('chat:{"content": "hi: there"}')
        assert await next_frame(a) == 'chat:{"content": "hi: there"}'
        assert await next_frame(b) == 'chat:{"content": "hi: there"}'
        await b.send_to("news:flash")
        assert await next_frame(c) == "news:flash"  # carol never saw the chat frame
        for communicator in (a, b, c):
            await communicator.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    ("text", "error_code"),
    [
        ("no colon here", "malformed_frame"),
        (":no channel", "malformed_frame"),
        ('quorum:{"q": 2, "n": 2}', "channel_refused"),
        ('dallinger_control:{"type": "websocket", "event": "disconnected"}', "channel_refused"),
        # A group's channel, which its members' pages trust: nobody may speak on it.
        ('dallinger_group_1:{"type": "group_ended", "network_id": 1}', "channel_refused"),
        ('dallinger_group_x:{"type": "group_ended"}', "channel_refused"),
        # Speaking for another participant (their `sender` id), as Dallinger let any socket do.
        ('chat:{"sender": 999999, "content": "it was not me"}', "not_your_participant"),
        ('chat:{"participant_id": "999999", "content": "it was not me"}', "not_your_participant"),
        ('chat:{"client": {"participant_id": 999999}, "content": "it was not me"}', "not_your_participant"),
    ],
)
def test_a_refused_frame_gets_an_error_frame_and_other_sockets_go_on(room, text, error_code):
    alice, bob = new_participant(1), new_participant(2)

    async def scenario():
        a = await opened(socket(f"channel=chat&participant_id={alice.pk}", alice))
        b = await opened(socket(f"channel=chat,quorum&participant_id={bob.pk}", bob))
        await a.send_to(text)
        answer = await next_frame(a, skip_control=False)
        while '"error"' not in answer:
            answer = await next_frame(a, skip_control=False)
        channel, payload = answer.split(":", 1)
        assert channel == "dallinger_control"
        assert json.loads(payload)["error_code"] == error_code
        # The sender's socket and the others still work, and nobody got the refused frame.
        await a.send_to("chat:after")
        assert await next_frame(a) == "chat:after"
        assert await next_frame(b) == "chat:after"
        await a.disconnect()
        await b.disconnect()

    run(scenario)


def test_a_heartbeat_gets_no_answer(room):
    alice = new_participant(1)

    async def scenario():
        a = await opened(socket(f"channel=chat&participant_id={alice.pk}", alice))
        await a.send_to('dallinger_control:{"type": "heartbeat"}')
        await a.send_to("chat:next")
        assert await next_frame(a, skip_control=False) == "chat:next"
        await a.disconnect()

    # Control events of the socket's own connection reach only the experiment, not this socket.
    run(scenario)


# The experiment's channel API -----------------------------------------------------------


def test_control_events_reach_the_experiment_in_order_with_dallingers_keys(room):
    alice = new_participant(1)

    async def scenario():
        a = await opened(socket(f"channel=room&worker_id=w1&participant_id={alice.pk}", alice))
        await a.disconnect(code=1000)

    run(scenario)
    received = messages_received()
    events = [json.loads(m["message"]) for m in received]
    assert [m["channel_name"] for m in received] == ["dallinger_control"] * 4
    assert [(e["type"], e["event"]) for e in events] == [
        ("channel", "subscribed"),
        ("websocket", "connected"),
        ("channel", "unsubscribed"),
        ("websocket", "disconnected"),
    ]
    assert events[0]["channel"] == "room"
    assert events[0]["client"]["worker_id"] == "w1"
    assert events[0]["client"]["participant_id"] == str(alice.pk)
    assert set(events[3]) == {"type", "event", "reason", "message", "client"}
    assert all(m["participant"] == alice.pk for m in received)


def test_a_frame_on_the_experiments_channel_reaches_receive_message_with_participant_and_node(room, make_node):
    alice, bob = new_participant(1), new_participant(2)
    node, bobs_node = make_node(participant=alice), make_node(participant=bob)

    async def scenario():
        a = await opened(socket(f"channel=room&channel=other&participant_id={alice.pk}", alice))
        await a.send_to(f'room:{{"sender": {alice.pk}, "node_id": {node.pk}, "content": "x"}}')
        await a.send_to(f'room:{{"sender": {alice.pk}, "node_id": {bobs_node.pk}, "immediate": true}}')
        await a.send_to(f'room:{{"node_id": {bobs_node.pk}, "immediate": true}}')
        await a.send_to("other:not for the experiment")
        frames = [await next_frame(a) for _ in range(4)]
        assert frames[3] == "other:not for the experiment"
        await a.disconnect()

    run(scenario)
    received = [m for m in messages_received() if m["channel_name"] == "room"]
    assert len(received) == 3
    first, second, third = received
    assert (first["participant"], first["node"], first["received"]) == (alice.pk, node.pk, True)
    assert json.loads(first["message"])["content"] == "x"
    assert (second["participant"], second["node"]) == (alice.pk, None)  # not her node: None
    assert (third["participant"], third["node"]) == (None, None)  # a node named without its owner: None


@pytest.mark.parametrize("takes_messages", [True, False])
def test_frames_cost_no_task_for_an_experiment_that_does_nothing_with_them(room, monkeypatch, takes_messages):
    from core import background
    from experiments.realtime import messages

    loaded = room()
    if not takes_messages:
        monkeypatch.delattr(loaded.experiment_class, "receive_message")  # the base class's no-op
    queued, parsed = [], []
    send_after_commit, parse = background.send_after_commit, messages.parse
    monkeypatch.setattr(background, "send_after_commit", lambda task: queued.append(task) or send_after_commit(task))
    monkeypatch.setattr(messages, "parse", lambda raw: parsed.append(raw) or parse(raw))
    alice = new_participant(1)

    async def scenario():
        a = await opened(socket(f"channel=room&participant_id={alice.pk}", alice))
        await a.send_to(f'room:{{"sender": {alice.pk}, "content": "queued"}}')
        await a.send_to(f'room:{{"sender": {alice.pk}, "content": "at once", "immediate": true}}')
        assert await next_frame(a) == f'room:{{"sender": {alice.pk}, "content": "queued"}}'
        assert await next_frame(a) == f'room:{{"sender": {alice.pk}, "content": "at once", "immediate": true}}'
        await a.disconnect()

    run(scenario)
    received = [json.loads(m["message"]).get("content") for m in messages_received() if m["channel_name"] == "room"]
    if takes_messages:
        # The control events and the frame without `immediate` go through the task; all reach the hook.
        assert len(queued) == 5
        assert sorted(received) == ["at once", "queued"]
    else:
        # Nothing queued, nothing even parsed, for any frame or control event.
        assert queued == [] and parsed == []


def test_publish_to_subscribers_reaches_sockets_on_the_experiments_channel(room):
    from experiments.runtime import experiment

    alice = new_participant(1)

    async def scenario():
        a = await opened(socket(f"channel=room&participant_id={alice.pk}", alice))
        await sync_to_async(lambda: experiment().publish_to_subscribers('{"type": "log"}'))()
        assert await next_frame(a) == 'room:{"type": "log"}'
        await sync_to_async(lambda: experiment().publish_to_subscribers({"n": 1}, channel_name="room"))()
        assert json.loads((await next_frame(a)).split(":", 1)[1]) == {"n": 1}
        await a.disconnect()

    run(scenario)


def test_dallingers_redis_conn_publish_reaches_the_sockets_and_the_experiment_without_redis(room, settings):
    # Dallinger's chat experiments publish with `db.redis_conn.publish(channel, text)`: its chat
    # backend relays Redis channels to the sockets. Here that goes through the channel layer.
    from experiments.compat.alias import install

    settings.REDIS_URL = ""
    install()
    from dallinger import db

    alice = new_participant(1)

    async def scenario():
        a = await opened(socket(f"channel=room&participant_id={alice.pk}", alice))
        await sync_to_async(lambda: db.redis_conn.publish("room", json.dumps({"type": "log", "content": "bye"})))()
        assert json.loads((await next_frame(a)).split(":", 1)[1]) == {"type": "log", "content": "bye"}
        await a.disconnect()

    run(scenario)
    # and the experiment, which listens on `room`, heard it, as Dallinger's subscription does
    heard = [json.loads(m["message"]) for m in messages_received() if m["channel_name"] == "room"]
    assert heard == [{"type": "log", "content": "bye"}]


# Quorum ---------------------------------------------------------------------------------


def test_the_quorum_is_pushed_on_arrival_and_when_a_participant_returns(room):
    room(room_quorum=3)
    from experiments.runtime import experiment

    def create(number):
        return experiment().create_participant(
            worker_id=f"w{number}", hit_id="h", assignment_id=f"a{number}", mode="debug", recruiter_name="hotair"
        )

    first = new_participant(1)

    async def scenario():
        watcher = await opened(socket(f"channel=quorum&participant_id={first.pk}", first))
        # On subscribing, the socket gets the state now.
        assert json.loads((await next_frame(watcher)).split(":", 1)[1]) == {"q": 3, "n": 1, "overrecruited": False}
        second = await sync_to_async(create)(2)
        assert json.loads((await next_frame(watcher)).split(":", 1)[1])["n"] == 2

        def give_back():
            second.status = ParticipantStatus.RETURNED
            second.save(update_fields=["status"])

        await sync_to_async(give_back)()
        assert json.loads((await next_frame(watcher)).split(":", 1)[1])["n"] == 1
        await watcher.disconnect()

    run(scenario)


def test_the_experiment_hears_its_own_publishes_on_its_channels_after_the_commit_as_in_dallinger(room):
    from django.db import transaction

    from experiments.runtime import experiment

    def publish(data, channel_name=None, roll_back=False):
        before = len(messages_received())
        with transaction.atomic():
            experiment().publish_to_subscribers(data, channel_name)
            assert len(messages_received()) == before  # not before the commit
            if roll_back:
                transaction.set_rollback(True)

    publish('{"type": "log"}')
    publish({"type": "state"}, channel_name="dallinger_control")
    publish({"type": "undone"}, roll_back=True)
    publish({"type": "elsewhere"}, channel_name="other")  # a channel the experiment does not listen on

    heard = [(m["channel_name"], json.loads(m["message"])["type"], m["participant"]) for m in messages_received()]
    assert heard == [("room", "log", None), ("dallinger_control", "state", None)]


def test_an_experiment_answering_its_own_frames_runs_each_answer_in_a_task_of_its_own(room):
    alice = new_participant(1)

    async def scenario():
        a = await opened(socket(f"channel=room&participant_id={alice.pk}", alice))
        # `immediate` on the server's answers too: they still go through the task, not nested.
        await a.send_to(f'room:{{"type": "count", "n": 0, "until": 3, "immediate": true, "sender": {alice.pk}}}')
        counts = [json.loads((await next_frame(a)).split(":", 1)[1])["n"] for _ in range(4)]
        assert counts == [0, 1, 2, 3]
        await a.disconnect()

    run(scenario)
    heard = [json.loads(m["message"]) for m in messages_received() if m["channel_name"] == "room"]
    assert [data["n"] for data in heard] == [0, 1, 2, 3]


def test_a_publish_waits_for_the_commit_and_a_rolled_back_one_is_never_sent(room):
    from django.db import transaction

    from core.realtime import publish

    alice = new_participant(1)

    def rolled_back():
        with pytest.raises(RuntimeError), transaction.atomic():
            publish("room", "undone")
            raise RuntimeError

    def committed():
        with transaction.atomic():
            publish("room", "kept")

    async def scenario():
        a = await opened(socket(f"channel=room&participant_id={alice.pk}", alice))
        await sync_to_async(rolled_back)()
        await sync_to_async(committed)()
        assert await next_frame(a) == "room:kept"
        await a.disconnect()

    run(scenario)
