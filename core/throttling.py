"""Rate limits counted in the cache (Redis in production): the API's per access key, the
password reset's per client and per address.

Fixed windows: `add` then `incr` is atomic on Redis; with the embedded local-memory cache each
web process counts on its own, which is stricter per process and good enough for one machine.
"""

from __future__ import annotations

import time

from django.core.cache import cache


def hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit for `key`; False when the limit for the current window is exceeded."""
    if limit <= 0:
        return True
    window = int(time.time() // window_seconds)
    cache_key = f"throttle:{key}:{window_seconds}:{window}"
    cache.add(cache_key, 0, timeout=window_seconds * 2)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # Evicted between add and incr: start the window again.
        cache.set(cache_key, 1, timeout=window_seconds * 2)
        count = 1
    return count <= limit
