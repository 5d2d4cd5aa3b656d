"""Secrets a page shows once, after the redirect that follows the POST which made them (a new
access key's secret, a new webhook's signing secret): kept in the session until then,
encrypted, since the session store must not hold them in the clear."""

from __future__ import annotations

import json

from django.contrib.sessions.backends.base import SessionBase

from core import crypto


def keep(session: SessionBase, bucket: str, key: str, **values: str) -> None:
    """Keep `values` under `key` of the session's `bucket` until `take` reads them."""
    stored = dict(session.get(bucket, {}))
    stored[key] = crypto.encrypt(json.dumps(values))
    session[bucket] = stored


def take(session: SessionBase, bucket: str, key: str) -> dict[str, str] | None:
    """The values kept under `key`, removed from the session (shown once); None without any."""
    stored = session.get(bucket)
    if not stored or key not in stored:
        return None
    remaining = dict(stored)
    values: dict[str, str] = json.loads(crypto.decrypt(remaining.pop(key)))
    session[bucket] = remaining
    return values
