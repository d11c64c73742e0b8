"""The batching Redis channel layer (core/channel_layer.py), against a real Redis server."""

import asyncio
import os
import time
import uuid

import pytest
import redis
from redis.asyncio.client import Pipeline
from redis.asyncio.client import Redis as RedisClient

from core.channel_layer import BATCH, BatchingRedisChannelLayer

WAIT = 10  # seconds a receive may take before the test fails

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: run the tests with scripts/test")


def new_layer(address: str | None = None) -> BatchingRedisChannelLayer:
    """A layer of its own (its own key prefix) on the test Redis, or on `address`."""
    return BatchingRedisChannelLayer(
        hosts=[{"address": address or os.environ["REDIS_URL"]}], prefix=f"test{uuid.uuid4().hex[:8]}", capacity=1000
    )


def script_calls() -> int:
    """How many scripts Redis has run so far (the reader takes each batch with one)."""
    stats = redis.Redis.from_url(os.environ["REDIS_URL"]).info("commandstats")
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("evalsha", "eval"))


def test_messages_waiting_for_many_sockets_reach_each_in_order_in_few_round_trips():
    async def scenario():
        layer = new_layer()
        sockets = [await layer.new_channel() for _ in range(3)]
        for channel in sockets:
            await layer.group_add("room", channel)
        for number in range(2 * BATCH):
            await layer.group_send("room", {"type": "chat.frame", "n": number})
        before = script_calls()
        received = {channel: [] for channel in sockets}
        for channel in sockets:
            for _ in range(2 * BATCH):
                message = await asyncio.wait_for(layer.receive(channel), WAIT)
                received[channel].append(message["n"])
        taking = script_calls() - before
        await layer.flush()
        await layer.close_pools()
        return received, taking

    received, taking = asyncio.run(scenario())
    # Every socket got every message, in the order sent
    assert all(numbers == list(range(2 * BATCH)) for numbers in received.values())
    # taken BATCH at a time (channels-redis's own receive pops them one by one: 400 round trips)
    assert taking <= 4


def test_a_batch_whose_reader_was_cancelled_on_the_way_is_delivered_first_by_the_next_reader():
    async def scenario():
        layer = new_layer()
        channel = await layer.new_channel()
        key = layer.prefix + layer.non_local_name(channel)
        connection = layer.connection(layer.consistent_hash(key))
        # Two messages a reader had taken (copied to the backup set) but not handed out,
        # and a newer one still waiting
        taken = {layer.serialize({"type": "chat.frame", "n": n, "__asgi_channel__": channel}): n for n in (1, 2)}
        await connection.zadd(layer._backup_channel_name(key), taken)
        await layer.send(channel, {"type": "chat.frame", "n": 3})
        numbers = [(await asyncio.wait_for(layer.receive(channel), WAIT))["n"] for _ in range(3)]
        leftover = await connection.exists(layer._backup_channel_name(key))
        await layer.flush()
        await layer.close_pools()
        return numbers, leftover

    numbers, leftover = asyncio.run(scenario())
    assert numbers == [1, 2, 3]
    # and the backup is emptied once a later batch is taken
    assert leftover == 0


def test_when_reading_fails_every_waiting_receive_raises_instead_of_waiting_for_ever():
    async def scenario():
        with socket_nobody_listens_on() as address:
            layer = new_layer(address)
            channels = [await layer.new_channel() for _ in range(2)]
            return await asyncio.wait_for(
                asyncio.gather(*(layer.receive(channel) for channel in channels), return_exceptions=True), WAIT
            )

    outcomes = asyncio.run(scenario())
    assert len(outcomes) == 2
    assert all(isinstance(outcome, redis.exceptions.ConnectionError) for outcome in outcomes)


def test_a_socket_that_stops_receiving_leaves_no_queue_and_the_reader_stops_when_none_waits():
    async def scenario():
        layer = new_layer()
        layer.brpop_timeout = 0.2
        channel = await layer.new_channel()
        waiting = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(0.1)
        reader = layer._reader
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        await asyncio.wait_for(asyncio.shield(reader), WAIT)
        left = channel in layer.receive_buffer
        await layer.close_pools()
        return left, reader

    left, reader = asyncio.run(scenario())
    assert not left
    assert reader.done() and not reader.cancelled()


def count_round_trips(monkeypatch) -> list:
    """The commands (and pipelines) this process sends to Redis from now on, one entry each."""
    sent = []
    command, pipeline = RedisClient.execute_command, Pipeline.execute

    async def counted_command(client, *args, **options):
        sent.append(str(args[0]).lower())
        return await command(client, *args, **options)

    async def counted_pipeline(client, *args, **options):
        sent.append("pipeline")
        return await pipeline(client, *args, **options)

    monkeypatch.setattr(Pipeline, "execute", counted_pipeline)
    monkeypatch.setattr(RedisClient, "execute_command", counted_command)
    return sent


def test_a_group_send_reaches_the_members_in_every_process_in_two_round_trips(monkeypatch):
    async def scenario():
        here, there = new_layer(), new_layer()
        there.prefix = here.prefix  # two processes of one deployment
        members = {layer: [await layer.new_channel() for _ in range(10)] for layer in (here, there)}
        for channels in members.values():
            for channel in channels:
                await here.group_add("room", channel)
        sent = count_round_trips(monkeypatch)
        await here.group_send("room", {"type": "chat.frame", "text": "room:hello"})
        monkeypatch.undo()
        received = [
            (await asyncio.wait_for(layer.receive(channel), WAIT))["text"]
            for layer, channels in members.items()
            for channel in channels
        ]
        await here.flush()
        for layer in members:
            await layer.close_pools()
        return received, sent

    received, sent = asyncio.run(scenario())
    assert received == ["room:hello"] * 20
    # One script lists the members, one adds the message for both processes (one Redis server);
    # channels-redis's own takes four round trips (a transaction among them)
    assert sent == ["evalsha", "evalsha"]


def test_a_group_send_drops_expired_members_and_messages_and_skips_a_full_socket_queue():
    async def scenario():
        receiving, full_process, sender = new_layer(), new_layer(), new_layer()
        for layer in (full_process, sender):
            layer.prefix = receiving.prefix
        sender.capacity = 1
        live, full = await receiving.new_channel(), await full_process.new_channel()
        gone = "specific.0123456789abcdef!gone"
        connection = sender.connection(0)
        group = sender._group_key("room")
        await connection.zadd(group, {gone: 1.0})  # joined long before group_expiry
        for channel in (live, full):
            await sender.group_add("room", channel)

        def key(channel):
            return sender.prefix + sender.non_local_name(channel)

        # The live socket's process has a message past its expiry waiting; the full one a fresh one
        await connection.zadd(key(live), {b"stale": 1.0})
        await connection.zadd(key(full), {b"fresh": time.time()})
        await sender.group_send("room", {"type": "chat.frame", "text": "room:new"})
        state = (
            sorted(member.decode() for member in await connection.zrange(group, 0, -1)),
            await connection.zrange(key(live), 0, -1),
            await connection.zrange(key(full), 0, -1),
            sorted([live, full]),
        )
        await sender.flush()
        for layer in (receiving, full_process, sender):
            await layer.close_pools()
        return state

    members, live_queue, full_queue, joined = asyncio.run(scenario())
    # The member that joined before group_expiry is dropped from the group
    assert members == joined
    # the expired message is dropped and the new one added for the live socket's process
    assert len(live_queue) == 1 and live_queue[0] != b"stale"
    # and the process whose queue was at capacity gets no copy
    assert full_queue == [b"fresh"]


def test_channels_that_are_not_process_local_still_work():
    async def scenario():
        layer = new_layer()
        await layer.send("plain", {"type": "chat.frame", "n": 1})
        message = await asyncio.wait_for(layer.receive("plain"), WAIT)
        await layer.flush()
        await layer.close_pools()
        return message

    assert asyncio.run(scenario())["n"] == 1


class socket_nobody_listens_on:
    """A redis:// address on a port nothing listens on (bound, not listening, while in use)."""

    def __enter__(self) -> str:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{self.sock.getsockname()[1]}/0"

    def __exit__(self, *exc):
        self.sock.close()
