"""`dallinger.db`: the session experiments save through, and a connection to the server's Redis."""

from django.conf import settings

from experiments.session import session

__all__ = ["redis_conn", "session"]


class _RedisConnection:
    """Dallinger's `redis_conn`, connected to REDIS_URL on first use.

    Except `publish`: in Dallinger, a publish on Redis reaches the sockets subscribed to the
    channel (its chat backend relays Redis channels to them) and the experiment listening
    there. Here frames travel through the platform's channel layer (or the embedded
    default's relay, without Redis), so `publish` goes there, and works without Redis.
    """

    _client = None

    def publish(self, channel, message) -> int:
        """Send `message` to the sockets subscribed to `channel` (and to the experiment, if it
        listens there) once the current transaction commits. Returns 0: how many sockets
        receive it is not known here (Redis would answer with its own subscriber count)."""
        from experiments import runtime
        from experiments.realtime import messages

        channel = channel.decode() if isinstance(channel, bytes) else str(channel)
        message = message.decode() if isinstance(message, bytes) else message
        messages.publish_for(runtime.experiment(), channel, message)
        return 0

    def _connect(self):
        if self._client is None:
            if not settings.REDIS_URL:
                raise RuntimeError("dallinger.db.redis_conn needs Redis: set REDIS_URL (this server runs without it).")
            import redis

            type(self)._client = redis.Redis.from_url(settings.REDIS_URL)
        return self._client

    def __getattr__(self, name):
        return getattr(self._connect(), name)

    def __repr__(self):
        return "<dallinger.db.redis_conn (REDIS_URL)>"


redis_conn = _RedisConnection()
