"""`dallinger.db`: the session experiments save through, and a connection to the server's Redis."""

from django.conf import settings

from experiments.session import session

__all__ = ["redis_conn", "session"]


class _RedisConnection:
    """Dallinger's `redis_conn`, connected to REDIS_URL on first use."""

    _client = None

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
