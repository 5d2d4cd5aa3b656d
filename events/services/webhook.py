"""Webhook targets: a signed POST of the event JSON, sent so that a customer's URL can never
reach our own network and one slow receiver cannot hold a worker.

- Signature: `X-SupportCenter-Signature: sha256=<hex HMAC-SHA256 of the body with the target's
  secret>` (`webhook_signature`), with X-SupportCenter-Timestamp and X-SupportCenter-Delivery.
  Any 2xx is delivered; redirects are not followed.
- SSRF: the response's first 1,000 characters are shown to the customer in the delivery log, so
  the URL is vetted when the target is created, and again by every attempt (plain http by the
  operator's switches in force then), which goes to a vetted address only, within an overall
  deadline: `core.netguard` (shared with trails' S3 endpoints) resolves the
  host once, refuses it if any address is not public unless EVENTS_ALLOW_PRIVATE_WEBHOOKS is
  on, and connects to the vetted address itself, so DNS that changes between the check and the
  connection (rebinding) cannot redirect it. TLS still verifies the certificate for the URL's
  host name.
- Deadline: an attempt has an overall deadline (`WEBHOOK_DEADLINE_SECONDS`) for connecting,
  sending and reading the answer, and reads at most `MAX_RESPONSE_BYTES`, so a receiver that
  dribbles its answer cannot hold a row in "sending" until `delivery.STUCK_AFTER` releases it to
  a second worker.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import logging
import time as clock

from django.utils.translation import gettext_noop

from core import crypto
from core.errors import Phrase
from core.netguard import (
    MSG_DEADLINE,
    BlockedAddress,
    Deadline,
    UrlProblem,
    pinned_connection,
    url_problem,
)
from events.models import EventDelivery, EventTarget
from events.services.sending import EXCERPT_LIMIT, Outcome, error_text, event_body
from events.services.targets import WEBHOOK_URL_MESSAGES

logger = logging.getLogger(__name__)

# Each socket operation of a webhook attempt may take this long, within the overall deadline.
WEBHOOK_TIMEOUT_SECONDS = 10
# The whole webhook attempt (connect, TLS, send, read the answer). Read at call time, so tests
# can shorten it.
WEBHOOK_DEADLINE_SECONDS: float = 15
# At most this much of an answer is read (status line, headers and body); the body only up to
# EXCERPT_LIMIT anyway.
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "SupportCenter-Events/1.0"
SIGNATURE_HEADER = "X-SupportCenter-Signature"
TIMESTAMP_HEADER = "X-SupportCenter-Timestamp"
DELIVERY_HEADER = "X-SupportCenter-Delivery"
# The URL passed when it was saved, but not by the rules in force now (the operator's switches
# are read at every attempt); {reason} is the target form's own words.
MSG_URL_NOT_ALLOWED = gettext_noop("Not sent: the webhook's URL is not allowed any more. {reason}")
# What an attempt refuses before connecting: the rules the connection does not enforce itself
# (a private address, named or resolved, is refused by `pinned_connection`, naming the address;
# a URL http.client cannot send fails there).
RECHECKED_PROBLEMS = frozenset({UrlProblem.PLAIN_HTTP, UrlProblem.CREDENTIALS})


def webhook_signature(secret: str, body: bytes) -> str:
    """The X-SupportCenter-Signature value for `body`; receivers compute the same and compare
    with hmac.compare_digest."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- sending -------------------------------------------------------------------------------------


def _excerpt(raw: bytes) -> str:
    return raw[:EXCERPT_LIMIT].decode("utf-8", errors="replace")


def send_webhook(delivery: EventDelivery, target: EventTarget) -> Outcome:
    """POST the event to the target's URL (signed, within the deadline, to a vetted address);
    any 2xx is delivered. Never raises for a network error: it becomes a failed `Outcome`."""
    problem = url_problem(target.url)
    if problem in RECHECKED_PROBLEMS:
        # Vetted again, as a trail's endpoint is: the operator may have turned plain http off
        # since the target was saved.
        reason = Phrase(WEBHOOK_URL_MESSAGES[problem])
        return Outcome(ok=False, error=Phrase(MSG_URL_NOT_ALLOWED, {"reason": reason}))
    deadline = Deadline(
        WEBHOOK_DEADLINE_SECONDS,
        step=WEBHOOK_TIMEOUT_SECONDS,
        max_response_bytes=MAX_RESPONSE_BYTES,
    )
    body = event_body(delivery.event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: webhook_signature(crypto.decrypt(target.secret_encrypted), body),
        TIMESTAMP_HEADER: str(int(clock.time())),
        DELIVERY_HEADER: str(delivery.delivery_id),
    }
    connection: http.client.HTTPConnection | None = None
    response: http.client.HTTPResponse | None = None
    try:
        # Resolves and vets the host (ValueError for a port out of range).
        connection, path = pinned_connection(target.url, deadline)
        # http.client never follows redirects: a 3xx is an answer, not a new destination.
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        status = response.status
        excerpt = _excerpt(response.read(EXCERPT_LIMIT))
    except BlockedAddress as error:
        logger.warning("delivery %s refused: %s", delivery.delivery_id, error)
        return Outcome(ok=False, error=error.phrase)
    except (OSError, http.client.HTTPException, ValueError) as error:  # DNS, refused, timeout, TLS
        if isinstance(error, TimeoutError) and deadline.expired():
            # A socket timeout cut short to the deadline is the deadline.
            return Outcome(ok=False, error=Phrase(MSG_DEADLINE, {"seconds": deadline.seconds}))
        return Outcome(ok=False, error=error_text(error, target))
    finally:
        # The response holds the socket open after the connection lets go of it.
        if response is not None:
            response.close()
        if connection is not None:
            connection.close()
    if 200 <= status < 300:
        return Outcome(ok=True, http_status=status, response_excerpt=excerpt)
    return Outcome(ok=False, http_status=status, response_excerpt=excerpt, error=f"HTTP {status}")
