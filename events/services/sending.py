"""What every sender shares: the bytes a target receives, the `Outcome` of one attempt (which
`events.services.delivery` records), and how an error is written into the attempt log.

The senders themselves are `events.services.webhook` and `events.services.channels`; they
never raise for a network or AWS error, they return a failed `Outcome`.

The delivery log is read by the customer, in whatever language they read the site in, while a
worker sends in whatever language it happens to run in. So a message of ours in an `Outcome` is
a `core.errors.Phrase` (msgid and values), recorded as such beside its English and translated
when the page is shown; words that are not ours (a receiver's answer, a library's error) are
plain text, shown as written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from core.errors import Phrase
from events.kinds import SLA_DEADLINE, SLA_MET, SLA_SECONDS_TO_BREACH
from events.models import EventTarget, TargetKind
from events.redact import scrub_url

# The attempt log keeps (and shows the customer) at most this much of an answer.
EXCERPT_LIMIT = 1000


# An exception's class name before its message: not a sentence, so not in the catalogue.
NAMED_ERROR = "{name}: {message}"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    http_status: int | None = None
    response_excerpt: str | Phrase = ""
    error: str | Phrase = ""


def as_json(message: str | Phrase) -> dict[str, Any] | None:
    """What a log keeps of `message` beside its text: its phrase, if it is one of ours and its
    values are JSON's (otherwise the English text alone, rather than an attempt that cannot be
    recorded)."""
    if not isinstance(message, Phrase):
        return None
    stored = message.as_json()
    try:
        json.dumps(stored)
    except (TypeError, ValueError):
        return None
    return stored


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


def error_text(error: BaseException, target: EventTarget) -> str | Phrase:
    """How an exception is logged in the attempt log, which read-only users see: never with the
    webhook's path or query (a library error can quote the request). One of ours that carries
    its message as a phrase (`core.netguard`'s) stays one."""
    phrase = getattr(error, "phrase", None)
    if isinstance(phrase, Phrase):
        return Phrase(NAMED_ERROR, {"name": type(error).__name__, "message": phrase})
    text = f"{type(error).__name__}: {error}"
    return scrub_url(text, target.url) if target.kind == TargetKind.WEBHOOK else text
