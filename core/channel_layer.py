"""The Redis channel layer, with one reader per process that takes this process's frames in batches.

channels-redis delivers every message for the sockets of one process (a `group_send` puts one
copy there for all of that process's members of the group) through one Redis key, and its
`receive` takes them one at a time: each message costs four round trips to Redis made one after
the other (restore the backup, pop, back the message up, remove the backup), by whichever
socket's task holds a lock that every waiting socket also queues for. Under load the event loop
is busy between those round trips, so the messages a process can take per second fall below
what arrives: at 2,200 deliveries a second two processes, each half idle, delivered frames
with a p99 of 290–400 ms, against 33–62 ms with this reader (benchmarks/results/realtime.md).

Here one task per process reads that key: a script takes up to `BATCH` waiting messages (and
keeps a copy until the next call, so that a reader cancelled while they travel loses none)
in one round trip, and blocks on Redis only when nothing is waiting. Each socket waits on its
own queue, with no lock and no task of its own. Everything else (sending, groups, other
channels) is channels-redis's. Since the reader empties the process's key as messages come, a
process that falls behind keeps its backlog in its sockets' queues rather than in Redis; a
socket whose queue holds `capacity` messages loses the oldest (channels-redis's own rule for
those queues).
"""

import asyncio
import logging
import time

from channels_redis.core import RedisChannelLayer
from redis.commands.core import AsyncScript as Script

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


# The members of a group (KEYS[1]) that joined after ARGV[1]; older ones are removed first.
_MEMBERS = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)
"""

# channels-redis's group send for the channel keys of one Redis server, with the expired
# messages of each key removed in the same call: KEYS are the keys, ARGV their messages, then
# their capacities, then the time now, the keys' expiry and the time before which messages
# have expired. Returns how many keys were full (their copy is dropped).
_GROUP_SEND = """
local over_capacity = 0
local count = #KEYS
local now = ARGV[count * 2 + 1]
local expiry = ARGV[count * 2 + 2]
local expired = ARGV[count * 2 + 3]
for i = 1, count do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, expired)
    if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[i + count]) then
        redis.call('ZADD', KEYS[i], now, ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        over_capacity = over_capacity + 1
    end
end
return over_capacity
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
        self._scripts: dict[str, Script] = {}

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
        take = self._script(_TAKE)
        try:
            await self._script(_RESTORE)(keys=keys, client=connection)
            while True:
                taken = await take(keys=keys, args=[BATCH], client=connection)
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

    async def group_send(self, group, message):
        """channels-redis's group send in two round trips to Redis instead of four.

        It removed the group's expired members, listed the rest, removed each key's expired
        messages (a transaction of its own) and added the message, each a round trip: about
        1 ms of the sending process's CPU per message to a room of 20 sockets, most of it
        redis-py's per-command cost. The same steps, done by two scripts, keep its rules: a
        member older than `group_expiry` is dropped, a key holding `capacity` messages gets no
        copy (logged at INFO, as channels-redis does).
        """
        assert self.require_valid_group_name(group), "Group name not valid"
        connection = self.connection(self.consistent_hash(group))
        now = time.time()
        members = await self._script(_MEMBERS)(
            keys=[self._group_key(group)], args=[int(now) - self.group_expiry], client=connection
        )
        channel_names = [member.decode("utf8") for member in members]
        by_connection, messages, capacities = self._map_channel_keys_to_connection(channel_names, message)
        for index, keys in by_connection.items():
            args = [messages[key] for key in keys] + [capacities[key] for key in keys]
            args += [now, self.expiry, int(now) - int(self.expiry)]
            full = await self._script(_GROUP_SEND)(keys=keys, args=args, client=self.connection(index))
            if full > 0:
                logger.info("%s of %s channels over capacity in group %s", full, len(channel_names), group)

    def _script(self, text: str) -> Script:
        """A Lua script, called by its digest (redis-py sends its text again to a server that
        does not have it); call it with `client=` a connection."""
        if text not in self._scripts:
            self._scripts[text] = Script(None, text.encode())
        return self._scripts[text]

    async def close_pools(self):
        """Stop the reader before its connections close under it."""
        reader = self._reader
        if reader is not None and not reader.done() and self._reader_loop is asyncio.get_running_loop():
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        await super().close_pools()
