"""How webhook URLs appear where their owner's console does not: audit records, logs, and the
pages of users who may only read the rules. Chat webhooks (Slack, Teams, Discord) carry their
secret in the URL's path, so only the scheme, host and port are shown, with a short fingerprint
of the whole URL to tell two of one host apart."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit


def webhook_origin(url: str) -> str:
    """A URL's scheme, host and port only: what audit records and read-only users get of a
    webhook URL (its path, query and fragment may hold a secret)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # out of range: not part of what is shown
        port = None
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def webhook_fingerprint(url: str) -> str:
    """A short SHA-256 fingerprint of the whole URL: tells two webhook URLs of one host apart
    in the audit trail without recording either."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def scrub_url(text: str, url: str) -> str:
    """`text` (an error message) with the URL, or its path and query, replaced by the origin:
    a library error can quote the request line."""
    parts = urlsplit(url)
    text = text.replace(url, webhook_origin(url) + "/…")
    request_target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    for secret in (url, request_target, parts.path, parts.query, parts.fragment):
        # Errors quote the path as it is, or as repr() writes it (control characters escaped).
        for form in (secret, repr(secret)[1:-1]):
            if len(form) > 1:
                text = text.replace(form, "/…")
    return text
