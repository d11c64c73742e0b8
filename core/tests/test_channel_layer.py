"""The batching Redis channel layer (core/channel_layer.py), against a real Redis server."""

import asyncio
import os
import uuid

import pytest
import redis

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
