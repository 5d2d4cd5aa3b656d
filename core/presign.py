"""Presigned links to our own endpoints (upload parts, attachment downloads).

A link carries its expiry and an HMAC of method, path and expiry (Django's `salted_hmac`, keyed
by SECRET_KEY), so it works without a session, cannot be altered, and stops working on time.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "supportcenter.presign"


def _signature(method: str, path: str, expires: int) -> str:
    return salted_hmac(
        _SALT, f"{method.upper()}\n{path}\n{expires}", algorithm="sha256"
    ).hexdigest()


def presign(base_url: str, method: str, path: str, ttl_seconds: int) -> tuple[str, int]:
    """Return (url, expiry as a Unix time) for `method` on `path` under `base_url`."""
    expires = int(time.time()) + ttl_seconds
    query = urlencode({"expires": expires, "signature": _signature(method, path, expires)})
    return f"{base_url.rstrip('/')}{path}?{query}", expires


def verify(method: str, path: str, expires: str | None, signature: str | None) -> bool:
    if not expires or not signature or not expires.isdigit():
        return False
    if int(expires) < time.time():
        return False
    return constant_time_compare(_signature(method, path, int(expires)), signature)
