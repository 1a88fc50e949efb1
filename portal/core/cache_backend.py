"""Django's Redis cache, with one redis-py client per connection pool instead of one per cache call.

Django builds a new `redis.Redis` for every get/set (`RedisCacheClient.get_client`), and redis-py fills a table
of about 170 response callbacks in each constructor: a fifth of a millisecond per cache call, which is a good
share of what a cached public page costs (portal.core.page_cache). The client is thread-safe and holds no
connection of its own (the pool does, and redis-py's pool reconnects after a fork), so one per pool is enough."""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class _ReusingClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    # django-stubs leave out RedisCacheClient's private helpers, which this reuses as Django's get_client does.
    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._clients[index] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class PortalRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusingClient
