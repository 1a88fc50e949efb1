"""A fixed-window request counter per client IP in the Django cache (Redis in production)."""

import time

from django.core.cache import cache

from portal.core.clients import client_ip

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "5/h" → (5, 3600); "10/15m" → (10, 900)."""
    count, _, period = rate.partition("/")
    number = int(period[:-1] or 1)
    return int(count), number * _UNITS[period[-1]]


def rate_limited(request, *, scope: str, rate: str) -> bool:
    """Count this request; True when the client has gone over `rate` in the current window."""
    limit, seconds = parse_rate(rate)
    ip = client_ip(request) or "unknown"
    window = int(time.time()) // seconds
    key = f"ratelimit:{scope}:{ip}:{window}"
    if cache.add(key, 1, seconds + 5):
        return False
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr
        cache.add(key, 1, seconds + 5)
        return False
