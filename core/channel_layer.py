"""The Redis channel layer, with one reader per process that takes this process's frames in batches.

channels-redis delivers every message for the sockets of one process (a `group_send` puts one
copy there for all of that process's members of the group) through one Redis key, and its
`receive` takes them one at a time: each message costs four round trips to Redis made one after
the other (restore the backup, pop, back the message up, remove the backup), by whichever
socket's task holds a lock that every waiting socket also queues for. Under load the event loop
is busy between those round trips, so the messages a process can take per second fall below
what arrives: at 2,200 deliveries a second two daphne processes half idle delivered frames
1.2 s late (benchmarks/results/realtime.md).

Here one task per process reads that key: a script takes up to `BATCH` waiting messages (and
keeps a copy until the next call, so that a reader cancelled while they travel loses none)
in one round trip, and blocks on Redis only when nothing is waiting. Each socket waits on its
own queue, with no lock and no task of its own. Everything else (sending, groups, other
channels) is channels-redis's.
"""

import asyncio
import logging

from channels_redis.core import RedisChannelLayer

logger = logging.getLogger(__name__)

#: Messages taken from Redis in one round trip at most.
BATCH = 200

# Drops the copy of the previous batch (handed out by now), then moves up to ARGV[1] messages,
# oldest first, from the process's key to its backup set and returns them with their scores.
_TAKE = """
redis.call('DEL', KEYS[2])
local taken = redis.call('ZPOPMIN', KEYS[1], ARGV[1])
for i = 1, #taken, 2 do
    redis.call('ZADD', KEYS[2], taken[i + 1], taken[i])
end
return taken
"""

# Puts back, at their places in the queue, the messages of a batch a reader took but may not
# have handed out (it was cancelled or failed while they travelled).
_RESTORE = """
local backed_up = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
for i = 1, #backed_up, 2 do
    redis.call('ZADD', KEYS[1], backed_up[i + 1], backed_up[i])
end
redis.call('DEL', KEYS[2])
"""


class ReaderFailed:
    """Put in a waiting socket's queue when the reader stops on an error: its `receive` raises it."""

    def __init__(self, error: BaseException):
        self.error = error


class BatchingRedisChannelLayer(RedisChannelLayer):
    """channels-redis, with the process's own messages read in batches by one task."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._reader: asyncio.Task | None = None
        self._reader_loop: asyncio.AbstractEventLoop | None = None
        self._waiting: set[str] = set()  # process-local channels with a `receive` waiting now

    async def receive(self, channel):
        """The next message of `channel`; process-local channels are fed by the process's reader."""
        if "!" not in channel:
            return await super().receive(channel)
        assert self.require_valid_channel_name(channel)
        real_channel = self.non_local_name(channel)
        assert real_channel.endswith(self.client_prefix + "!"), "Wrong client prefix"
        # The queue stays while its socket lives (a new one for every message cost more than
        # the rest of the hand-out): a consumer's last `receive` ends cancelled.
        buffer = self.receive_buffer[channel]
        if not buffer.empty():
            message = buffer.get_nowait()
        else:
            self._ensure_reader(real_channel)
            self._waiting.add(channel)
            try:
                message = await buffer.get()
            except asyncio.CancelledError:
                # The socket is gone: what was left for it is dropped (as channels-redis does).
                if self.receive_buffer.get(channel) is buffer:
                    del self.receive_buffer[channel]
                raise
            finally:
                self._waiting.discard(channel)
        if isinstance(message, ReaderFailed):
            raise message.error
        return message

    def _ensure_reader(self, real_channel: str) -> None:
        loop = asyncio.get_running_loop()
        if self._reader is not None and not self._reader.done():
            if self._reader_loop is loop:
                return
            if not self._reader_loop.is_closed():
                raise RuntimeError("Two event loops are trying to receive() on one channel layer at once!")
        self._reader_loop = loop
        self._reader = loop.create_task(self._read(real_channel))

    async def _read(self, real_channel: str) -> None:
        """Take the process's messages from Redis and hand each to its sockets' queues, until
        Redis has none and no socket waits; on an error, every waiting socket gets it."""
        index = self.consistent_hash(real_channel)
        key = self.prefix + real_channel
        keys = [key, self._backup_channel_name(key)]
        connection = self.connection(index)
        take = connection.register_script(_TAKE)
        try:
            await connection.register_script(_RESTORE)(keys=keys)
            while True:
                taken = await take(keys=keys, args=[BATCH])
                if taken:
                    for content in taken[::2]:
                        self._hand_out(real_channel, content)
                    continue
                if not self._waiting:
                    return  # nobody listens: the next `receive` starts a reader again
                popped = await connection.bzpopmin(key, timeout=self.brpop_timeout)
                if popped is not None:
                    # Handed out with no wait in between: nothing can cancel it on the way.
                    self._hand_out(real_channel, popped[1])
        except asyncio.CancelledError:
            raise
        except Exception as error:
            logger.warning("Reading this process's channel layer messages failed: %r", error)
            for channel in list(self._waiting):
                self.receive_buffer[channel].put_nowait(ReaderFailed(error))
        finally:
            if self._reader is asyncio.current_task():
                self._reader = None

    def _hand_out(self, real_channel: str, content: bytes) -> None:
        message = self.deserialize(content)
        channels = message.pop("__asgi_channel__", real_channel)
        for channel in channels if isinstance(channels, list) else [channels]:
            self.receive_buffer[channel].put_nowait(message)

    async def close_pools(self):
        """Stop the reader before its connections close under it."""
        reader = self._reader
        if reader is not None and not reader.done() and self._reader_loop is asyncio.get_running_loop():
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        await super().close_pools()
