"""Delivering trails and verifying what they delivered (see the package's docstring).

Every run (beat, every five minutes) writes, per enabled trail, one gzipped `{"Records": [...]}`
file with the records since the last delivery, then a digest file that holds the log file's
SHA-256 and the SHA-256 of the previous digest, so removing, changing or reordering any file
breaks the chain (`trail_verify`). A failed delivery is recorded on the trail (a
`DeliveryProblem`: our words, never the endpoint's) and retried on the next run, from the same
record; the details go to the log.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from audit.models import AuditEvent
from audit.selectors import to_cloudtrail
from cloudtrail.destinations import DeliveryFailed, destination_for
from cloudtrail.models import DeliveryProblem, Trail, TrailDelivery, problem_text

logger = logging.getLogger(__name__)

BATCH = 5000
# Problems of the destination as a whole, not of one file: verification stops at the first.
DESTINATION_PROBLEMS = frozenset(
    {
        DeliveryProblem.NOT_CONNECTED,
        DeliveryProblem.CONNECTION_FAILED,
        DeliveryProblem.OWN_ACCOUNT_ROLE,
        DeliveryProblem.BLOCKED_ENDPOINT,
        DeliveryProblem.UNRESOLVED,
        DeliveryProblem.UNREACHABLE,
        DeliveryProblem.TIMED_OUT,
        DeliveryProblem.NO_SUCH_BUCKET,
    }
)


def _paths(account_id: str, stamp: str, day: str, tag: str, trail_name: str) -> tuple[str, str]:
    region = settings.SUPPORTCENTER_AUDIT_REGION
    log = (
        f"AWSLogs/{account_id}/CloudTrail/{region}/{day}/"
        f"{account_id}_CloudTrail_{region}_{stamp}_{tag}.json.gz"
    )
    digest = (
        f"AWSLogs/{account_id}/CloudTrail-Digest/{region}/{day}/"
        f"{account_id}_CloudTrail-Digest_{region}_{trail_name}_{region}_{stamp}_{tag}.json.gz"
    )
    return log, digest


def trail_deliver(trail: Trail) -> int:
    """Deliver one trail's new records (one file of at most BATCH records). Returns how many
    records were delivered; failures are recorded on the trail and retried next time."""
    events = list(
        AuditEvent.objects.filter(
            recipient_account_id=trail.account.account_id, pk__gt=trail.last_event_pk
        ).order_by("pk")[:BATCH]
    )
    if not events:
        return 0
    now = timezone.now()
    stamp = now.strftime("%Y%m%dT%H%MZ")
    log_key, digest_key = _paths(
        trail.account.account_id, stamp, now.strftime("%Y/%m/%d"), secrets.token_hex(8), trail.name
    )
    log_bytes = gzip.compress(
        json.dumps({"Records": [to_cloudtrail(e) for e in events]}, separators=(",", ":")).encode(),
        mtime=0,
    )
    log_hash = hashlib.sha256(log_bytes).hexdigest()
    digest = {
        "awsAccountId": trail.account.account_id,
        "digestStartTime": events[0].event_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "digestEndTime": events[-1].event_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "digestFile": digest_key,
        "previousDigestHashValue": trail.last_digest_hash or None,
        "previousDigestHashAlgorithm": "SHA-256",
        "logFiles": [
            {
                "s3Object": log_key,
                "hashValue": log_hash,
                "hashAlgorithm": "SHA-256",
                "oldestEventTime": events[0].event_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "newestEventTime": events[-1].event_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        ],
    }
    digest_bytes = gzip.compress(json.dumps(digest, separators=(",", ":")).encode(), mtime=0)
    digest_hash = hashlib.sha256(digest_bytes).hexdigest()
    target = destination_for(trail)
    try:
        target.write(log_key, log_bytes)
        target.write(digest_key, digest_bytes)
    except Exception as error:  # S3 errors, a full disk: recorded on the trail, retried next run
        _record_failure(trail, error)
        return 0
    with transaction.atomic():
        # Deleted meanwhile, or delivered by another run: the chain stays as it was (the files
        # just written are left unrecorded).
        current = Trail.objects.select_for_update().filter(pk=trail.pk).first()
        if current is None or current.last_event_pk != trail.last_event_pk:
            return 0
        TrailDelivery.objects.create(
            trail=trail,
            log_key=log_key,
            digest_key=digest_key,
            record_count=len(events),
            log_hash=log_hash,
            digest_hash=digest_hash,
            previous_digest_hash=trail.last_digest_hash,
            first_event_pk=events[0].pk,
            last_event_pk=events[-1].pk,
            delivered_at=now,
        )
        Trail.objects.filter(pk=trail.pk).update(
            last_event_pk=events[-1].pk,
            last_digest_hash=digest_hash,
            last_delivery_at=now,
            last_error_code="",
            last_error_status=None,
            failures=0,
        )
    trail.last_event_pk, trail.last_digest_hash = events[-1].pk, digest_hash
    return len(events)


def _record_failure(trail: Trail, error: Exception) -> None:
    """Record why a delivery failed, in our words only (`DeliveryProblem`); what the endpoint
    or the library said goes to the log, never to the page."""
    if isinstance(error, DeliveryFailed):
        problem, status, detail = error.problem, error.status, error.detail
    else:  # a bug, not the destination: still recorded, and logged with its traceback
        problem, status, detail = DeliveryProblem.FAILED, None, ""
        logger.exception("trail %s of %s: delivery failed", trail.name, trail.account.account_id)
    logger.warning(
        "trail %s of %s not delivered (%s, HTTP status %s): %s",
        trail.name,
        trail.account.account_id,
        problem.value,
        status,
        detail,
    )
    Trail.objects.filter(pk=trail.pk).update(
        last_error_code=problem.value, last_error_status=status, failures=F("failures") + 1
    )


def trails_deliver() -> int:
    """Deliver every enabled trail until it has caught up. Returns records delivered."""
    delivered = 0
    for trail in Trail.objects.filter(enabled=True).select_related("account"):
        while True:
            count = trail_deliver(trail)
            delivered += count
            if count < BATCH:
                break
    return delivered


def trail_verify(trail: Trail) -> list[str]:
    """Check the delivered files against the digest chain; returns the problems found (empty
    when every log file and digest is intact and in order), in the active language. What the
    destination answered is logged, never returned."""
    problems: list[str] = []
    target = destination_for(trail)
    previous = ""
    for delivery in trail.deliveries.order_by("delivered_at", "id"):
        try:
            log_bytes = target.read(delivery.log_key)
            digest_bytes = target.read(delivery.digest_key)
        except DeliveryFailed as error:
            logger.info("trail %s: %s unreadable: %s", trail.name, delivery.log_key, error.detail)
            reason = problem_text(error.problem, error.status)
            if error.problem in DESTINATION_PROBLEMS:
                # Nothing more can be read (and a slow endpoint must not hold the page once
                # per file).
                problems.append(gettext("{reason} Verification stopped.").format(reason=reason))
                break
            problems.append(gettext("{key}: {reason}").format(key=delivery.log_key, reason=reason))
            continue
        digest_hash = hashlib.sha256(digest_bytes).hexdigest()
        try:
            parsed = json.loads(gzip.decompress(digest_bytes))
        except (OSError, ValueError, EOFError):  # not gzip, not JSON: changed, as its hash says
            parsed = None
        digest: dict[str, Any] = parsed if isinstance(parsed, dict) else {}
        if digest_hash != delivery.digest_hash:
            problems.append(
                gettext("{key}: the digest file was changed.").format(key=delivery.digest_key)
            )
        if (digest.get("previousDigestHashValue") or "") != previous:
            problems.append(
                gettext("{key}: the chain is broken before this digest.").format(
                    key=delivery.digest_key
                )
            )
        files = digest.get("logFiles")
        recorded = {
            f.get("s3Object"): f.get("hashValue")
            for f in (files if isinstance(files, list) else [])
            if isinstance(f, dict)
        }
        if recorded.get(delivery.log_key) != hashlib.sha256(log_bytes).hexdigest():
            problems.append(
                gettext("{key}: the log file does not match its digest.").format(
                    key=delivery.log_key
                )
            )
        previous = digest_hash
    return problems
