"""What every sender shares: the bytes a target receives, the `Outcome` of one attempt (which
`events.services.delivery` records), and how an error is written into the attempt log.

The senders themselves are `events.services.webhook` and `events.services.channels`; they
never raise for a network or AWS error, they return a failed `Outcome`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from events.models import EventTarget, TargetKind
from events.redact import scrub_url

# The attempt log keeps (and shows the customer) at most this much of an answer.
EXCERPT_LIMIT = 1000


@dataclass(frozen=True)
class Outcome:
    ok: bool
    http_status: int | None = None
    response_excerpt: str = ""
    error: str = ""


def event_body(event: dict[str, Any]) -> bytes:
    """The bytes every target receives (and webhooks sign)."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def error_text(error: BaseException, target: EventTarget) -> str:
    """How an exception is logged in the attempt log, which read-only users see: never with the
    webhook's path or query (a library error can quote the request)."""
    text = f"{type(error).__name__}: {error}"
    return scrub_url(text, target.url) if target.kind == TargetKind.WEBHOOK else text
