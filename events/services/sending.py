"""What every sender shares: the bytes a target receives, the `Outcome` of one attempt (which
`events.services.delivery` records), and how an error is written into the attempt log.

The senders themselves are `events.services.webhook` and `events.services.channels`; they
never raise for a network or AWS error, they return a failed `Outcome`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from events.kinds import SLA_DEADLINE, SLA_MET, SLA_SECONDS_TO_BREACH
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


# AWS's key order: the envelope, then each event kind's detail. PostgreSQL's jsonb keeps object
# keys sorted its own way, so an event read back from the database is put in this order again
# before anyone sees it (key order carries no meaning in JSON, but readers expect AWS's layout).
ENVELOPE_KEYS = (
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
)
DETAIL_KEYS = {
    "Support Case Update": (
        "case-id",
        "display-id",
        "communication-id",
        "event-name",
        "origin",
        SLA_DEADLINE,
        SLA_SECONDS_TO_BREACH,
        SLA_MET,
    ),
    "Trusted Advisor Check Item Refresh Notification": (
        "check-name",
        "check-item-detail",
        "status",
        # Ours (not AWS's): the item's status before the change, beside the status.
        "previous-status",
        "resource_id",
        "uuid",
    ),
}


def _ordered(value: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    known = {k: value[k] for k in keys if k in value}
    return {**known, **{k: v for k, v in value.items() if k not in known}}


def ordered_event(event: dict[str, Any]) -> dict[str, Any]:
    """`event` with its keys in AWS's order (unknown keys keep theirs, after the known ones)."""
    ordered = _ordered(event, ENVELOPE_KEYS)
    detail = ordered.get("detail")
    keys = DETAIL_KEYS.get(str(ordered.get("detail-type", "")))
    if isinstance(detail, dict) and keys:
        ordered["detail"] = _ordered(detail, keys)
    return ordered


def event_body(event: dict[str, Any]) -> bytes:
    """The bytes every target receives (and webhooks sign)."""
    return json.dumps(ordered_event(event), separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def event_text(event: dict[str, Any]) -> str:
    """The event as people read it (email, delivery log)."""
    return json.dumps(ordered_event(event), indent=2, ensure_ascii=False)


def error_text(error: BaseException, target: EventTarget) -> str:
    """How an exception is logged in the attempt log, which read-only users see: never with the
    webhook's path or query (a library error can quote the request)."""
    text = f"{type(error).__name__}: {error}"
    return scrub_url(text, target.url) if target.kind == TargetKind.WEBHOOK else text
