"""The chatroom demo: bots chat over websockets to the end of a run, and the server's chat rules.

The runs are `manage.py runexperiment chatroom --bots 4` as an experimenter types it, on the
embedded default and on PostgreSQL + Redis (helpers from tests/runs.py).
"""

import json
from collections import defaultdict

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from core import realtime
from core.models import Info, Network, Node, Transmission
from tests.runs import (
    assert_run_files_removed,
    assert_succeeded,
    embedded_environment,
    free_port,
    manage,
    node_of_each_participant,
    read_sqlite_record,
    read_test_database_record,
    run,
    services_environment,
)

BOTS = 4
GREETINGS = 3  # HighPerformanceBot.messages_to_send


def run_chatroom(env):
    return run(manage("runexperiment", "chatroom", "--bots", str(BOTS), "--port", str(free_port()),
                      "--timeout", "120"), env)  # fmt: skip


def assert_chatted_over_the_socket(record: dict) -> None:
    """Every bot approved; each one's greetings recorded as Infos of its node; answers to others'
    messages (which a bot can only write after receiving them over its socket); and each chat
    message transmitted from its sender's node to other participants' nodes only."""
    assert [status for _, status in record["participants"]] == ["approved"] * BOTS
    node_of = node_of_each_participant(record)
    participant_of = {node: participant for participant, node in node_of.items()}
    said = defaultdict(list)
    for _, origin_id, contents in record["infos"]:
        said[participant_of[origin_id]].append(contents)
    for participant_id, _ in record["participants"]:
        greetings = [f"Hello number {n} from participant {participant_id}." for n in range(1, GREETINGS + 1)]
        assert [text for text in said[participant_id] if text.startswith("Hello")] == greetings
        assert f"Participant {participant_id} has left the chat." in said[participant_id]
    answers = [
        (participant_id, text)
        for participant_id, texts in said.items()
        for text in texts
        if text.startswith("Answer to participant ")
    ]
    assert answers, "no bot answered a message it received"
    for participant_id, text in answers:
        answered = int(text.split()[3].rstrip(":"))
        assert answered != participant_id and answered in node_of  # heard from someone else, over the socket

    origin_of = {info_id: origin_id for info_id, origin_id, _ in record["infos"]}
    contents_of = {info_id: contents for info_id, _, contents in record["infos"]}
    transmitted = defaultdict(set)
    for info_id, destination_id, _ in record["transmissions"]:
        assert destination_id in participant_of and destination_id != origin_of[info_id]
        transmitted[info_id].add(destination_id)
    assert transmitted, "no message was transmitted to a neighbour"
    assert all(not contents_of[info_id].endswith("has left the chat.") for info_id in transmitted)
    # The first greetings are said once all are in the chat (quorum 2, and the bots wait to hear
    # from someone): at least one reached every other participant.
    assert max(len(destinations) for destinations in transmitted.values()) == BOTS - 1


def test_bots_chat_over_websockets_on_the_embedded_default(tmp_path, run_tmp):
    # Given no database server and no Redis (frames cross processes through the relay)
    env = embedded_environment(tmp_path, run_tmp)

    # When four HTTP bots take part in the chatroom (a waiting room of 2, a group of 4)
    result = run_chatroom(env)

    # Then every bot is approved, and what they said went through the socket into the record
    assert_succeeded(result)
    assert f"{BOTS} approved" in result.stdout
    assert_chatted_over_the_socket(read_sqlite_record(tmp_path / "db.sqlite3"))
    assert "server error" not in result.stdout + result.stderr
    assert_run_files_removed(run_tmp)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_bots_chat_over_websockets_on_postgresql_and_redis(tmp_path, run_tmp):
    # Given PostgreSQL and Redis (channels-redis carries the frames)
    env = services_environment(tmp_path, run_tmp, redis_database=6)

    # When four HTTP bots take part in the chatroom
    result = run_chatroom(env)

    # Then the same: all approved, their messages recorded and transmitted
    assert_succeeded(result)
    assert "Database: PostgreSQL; tasks: Redis" in result.stdout
    assert f"{BOTS} approved" in result.stdout
    assert_chatted_over_the_socket(read_test_database_record())
    assert_run_files_removed(run_tmp)


# The server's chat rules, called as the background task calls them -----------------------


@pytest.fixture
def chatroom(use_experiment, make_participant, settings):
    """The chatroom experiment with three participants in its network, and a socket's inbox on
    the network's group channel of this process's (in-memory) channel layer."""
    settings.REDIS_URL = ""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    realtime.serve_websockets_here()
    use_experiment("chatroom")
    from experiments.runtime import experiment

    exp = experiment()
    participants = [make_participant() for _ in range(3)]
    network = exp.networks()[0]
    nodes = []
    for participant in participants:
        node = exp.create_node(participant, network)
        exp.add_node_to_network(node, network)
        nodes.append(node)
    layer = get_channel_layer()
    inbox = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(realtime.group_name(realtime.group_channel(network.pk)), inbox)
    yield exp, participants, nodes, lambda: async_to_sync(layer.receive)(inbox)["text"]
    realtime._serving_websockets = False


def control(event, participant, channel="chatroom"):
    client = {"class": "x", "worker_id": participant.worker_id, "participant_id": str(participant.pk)}
    return json.dumps({"type": "channel", "event": event, "channel": channel, "client": client})


@pytest.mark.django_db(transaction=True)
def test_a_message_is_recorded_and_sent_only_to_neighbours_still_in_the_chat(chatroom):
    exp, (alice, bob, carol), (a, b, c), _ = chatroom
    # Given Carol has left the chat
    exp.receive_message(control("unsubscribed", carol), channel_name="dallinger_control", participant=carol)
    c.refresh_from_db()
    assert c.details["subscribed"] is False

    # When Alice says something
    message = json.dumps({"type": "message", "content": "<b>hi</b>", "sender": alice.pk, "node_id": a.pk})
    exp.receive_message(message, channel_name="chatroom", participant=alice, node=a)

    # Then it is an Info of her node, sent to Bob only
    info = Info.objects.get(origin=a)
    assert info.contents == "<b>hi</b>"
    assert [t.destination_id for t in Transmission.objects.filter(info=info)] == [b.pk]


@pytest.mark.django_db(transaction=True)
def test_a_frame_naming_someone_elses_node_records_nothing(chatroom):
    exp, (alice, bob, _), (a, b, _), _ = chatroom
    message = json.dumps({"type": "message", "content": "as Bob", "sender": alice.pk, "node_id": b.pk})
    exp.receive_message(message, channel_name="chatroom", participant=alice, node=b)
    assert not Info.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_when_all_others_have_left_the_last_one_is_told_and_recruitment_closes(chatroom):
    exp, (alice, bob, carol), _, next_frame = chatroom
    # When Carol leaves, two remain: the chat goes on
    exp.receive_message(control("unsubscribed", carol), channel_name="dallinger_control", participant=carol)
    assert json.loads(next_frame().partition(":")[2]) == {
        "type": "log", "content": f"Participant {carol.pk} has left the chat."}  # fmt: skip
    assert not Network.objects.get().details.get("completed")

    # When Bob leaves too, Alice is told the chat is over, and nobody else may join
    exp.receive_message(control("unsubscribed", bob), channel_name="dallinger_control", participant=bob)
    group = realtime.group_channel(Network.objects.get().pk)
    assert next_frame() == f'{group}:{{"type": "log", "content": "Participant {bob.pk} has left the chat."}}'
    finish = json.loads(next_frame().partition(":")[2])
    assert finish["action"] == "finish" and "All other participants have left" in finish["content"]
    assert Network.objects.get().details["completed"] is True
    assert exp.is_overrecruited(1)


@pytest.mark.django_db(transaction=True)
def test_subscriptions_to_other_channels_change_nothing(chatroom):
    exp, (alice, *_), (a, *_), _ = chatroom
    exp.receive_message(control("unsubscribed", alice, channel="quorum"), channel_name="dallinger_control",
                        participant=alice)  # fmt: skip
    assert "subscribed" not in Node.objects.get(pk=a.pk).details


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_three_browser_participants_pass_the_waiting_room_and_chat_with_markup_shown_as_text(tmp_path, run_tmp):
    # Given a group of three, and browser bots that greet with markup and quote what they read
    env = services_environment(tmp_path, run_tmp, redis_database=3, quorum="3", n="3")

    # When three browser bots (headless Chromium) pass the waiting room together and chat
    result = run(manage("runexperiment", "chatroom", "--bots", "3", "--bot-type", "browser",
                        "--port", str(free_port()), "--timeout", "150"), env)  # fmt: skip

    # Then all are approved, and each quoted another's greeting with its tags as text: had
    # the page rendered the markup, the text they read would have lost the tags
    assert_succeeded(result)
    record = read_test_database_record()
    assert [status for _, status in record["participants"]] == ["approved"] * 3
    contents = [text for _, _, text in record["infos"]]
    assert contents.count("Hello from a browser, with <b>tags</b> & <i>signs</i>.") == 3
    quotes = [text for text in contents if text.startswith("Answer: I read Participant ")]
    assert len(quotes) == 3
    assert all(text.endswith(": Hello from a browser, with <b>tags</b> & <i>signs</i>.") for text in quotes)


@pytest.mark.django_db(transaction=True)
def test_a_late_joiner_gets_what_was_said_before_with_each_sender_from_the_record(chatroom):
    exp, (alice, bob, carol), (a, b, _), _ = chatroom
    # Given Alice and Bob spoke, Alice claiming to be Carol
    for who, node, text, claimed in ((alice, a, "<b>first</b>", carol.pk), (bob, b, "second", bob.pk)):
        message = json.dumps({"type": "message", "content": text, "sender": claimed, "node_id": node.pk})
        exp.receive_message(message, channel_name="chatroom", participant=who, node=node)
    exp.receive_message(control("unsubscribed", bob), channel_name="dallinger_control", participant=bob)

    # When Carol's socket opens, her snapshot holds the messages, oldest first, and no log line
    snapshot = exp.realtime_snapshot(carol)

    assert snapshot == {"messages": [{"sender": alice.pk, "content": "<b>first</b>"}, {"sender": bob.pk, "content": "second"}]}
