"""Trails: an account's audit records delivered as CloudTrail log files, with a digest chain.

Every run (beat, every five minutes) writes, per enabled trail, one gzipped `{"Records": [...]}`
file with the records since the last delivery, then a digest file that holds the log file's
SHA-256 and the SHA-256 of the previous digest, so removing, changing or reordering any file
breaks the chain (`trail_verify`). A failed delivery is recorded on the trail (a
`DeliveryProblem`: our words, never the endpoint's) and retried on the next run, from the same
record; the details go to the log. Destinations (`cloudtrail.destinations`): a folder under the
data directory, or an S3 bucket reached with the account's own AWS connection only. A disabled
trail delivers nothing until it is enabled again; deleting one stops it for good (the files
already delivered stay where they are).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.models import Account
from accounts.principals import Principal
from audit import services as audit
from audit.models import AuditEvent
from audit.names import CLOUDTRAIL_SOURCE, AuditEventName
from audit.refusals import audit_refusals
from audit.selectors import to_cloudtrail
from cloudtrail.destinations import DeliveryFailed, destination_for
from cloudtrail.models import DeliveryProblem, Trail, TrailDelivery, TrailDestination, problem_text
from connections.selectors import aws_connection_get
from core import netguard
from core.errors import EntityAlreadyExists, InvalidParameterValueException

logger = logging.getLogger(__name__)

BATCH = 5000
_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{3,128}$")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# botocore's own rule for region names (S3-compatible stores use names such as "auto" too).
_REGION_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
TRAIL_RESOURCE_TYPE = "AWS::CloudTrail::Trail"
# Problems of the destination as a whole, not of one file: verification stops at the first.
DESTINATION_PROBLEMS = frozenset(
    {
        DeliveryProblem.NOT_CONNECTED,
        DeliveryProblem.CONNECTION_FAILED,
        DeliveryProblem.BLOCKED_ENDPOINT,
        DeliveryProblem.UNRESOLVED,
        DeliveryProblem.UNREACHABLE,
        DeliveryProblem.TIMED_OUT,
        DeliveryProblem.NO_SUCH_BUCKET,
    }
)

MSG_NAME = gettext_noop("Trail names are 3-128 letters, digits, dots, dashes or underscores.")
MSG_EXISTS = "A trail called {name} already exists."
MSG_FOLDER = gettext_noop(
    "The folder is one name of 3-128 letters, digits, dots, dashes or underscores."
)
MSG_BUCKET = gettext_noop("Enter a valid S3 bucket name.")
MSG_REGION = gettext_noop("Enter a region name, such as us-east-1.")
MSG_DESTINATION = gettext_noop("Choose a local folder or an S3 bucket.")
MSG_NOT_CONNECTED = gettext_noop(
    "Connect this account's AWS environment first (Trusted Advisor, AWS connection): S3 trails "
    "deliver with its credentials, never with Support Center's own."
)
MSG_ENDPOINT_INVALID = gettext_noop(
    "Enter the S3 endpoint as an https URL, such as https://s3.example.com."
)
MSG_ENDPOINT_CREDENTIALS = gettext_noop(
    "Leave user names and passwords out of the endpoint URL: S3 trails deliver with the "
    "account's AWS connection."
)
MSG_ENDPOINT_PRIVATE = gettext_noop(
    "The S3 endpoint must be a public internet host, not localhost or a private, loopback, "
    "link-local or reserved address."
)
MSG_ENDPOINT_HTTPS = gettext_noop("The S3 endpoint must use https.")
# Why a tenant's S3 endpoint is refused (the same rules as webhooks: core.netguard).
ENDPOINT_MESSAGES = {
    netguard.UrlProblem.INVALID: MSG_ENDPOINT_INVALID,
    netguard.UrlProblem.CREDENTIALS: MSG_ENDPOINT_CREDENTIALS,
    netguard.UrlProblem.PRIVATE: MSG_ENDPOINT_PRIVATE,
    netguard.UrlProblem.PLAIN_HTTP: MSG_ENDPOINT_HTTPS,
}


def _resources(name: str) -> list[dict[str, str]]:
    return [{"ResourceType": TRAIL_RESOURCE_TYPE, "ResourceName": name}]


def _endpoint_origin(url: str) -> str:
    """What the audit trail keeps of an endpoint: scheme, host and port."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}" if url else ""


def _clean_endpoint(url: str) -> str:
    """A tenant's S3 endpoint, vetted as webhook URLs are (its addresses are checked again,
    resolved, at every request). Raises `InvalidParameterValueException`."""
    url = (url or "").strip()
    if not url:
        return ""
    problem = netguard.url_problem(url)
    if problem is not None or len(url) > 300:
        message = ENDPOINT_MESSAGES[problem] if problem else MSG_ENDPOINT_INVALID
        raise InvalidParameterValueException(message, field="s3_endpoint_url")
    return url


def _check_s3_ready(account: Account, endpoint: str) -> str:
    """What an S3 trail needs before it is created or enabled: an allowed endpoint (returned
    cleaned), and the account's AWS connection (never the server's own credentials)."""
    endpoint = _clean_endpoint(endpoint)
    if aws_connection_get(account) is None:
        raise InvalidParameterValueException(MSG_NOT_CONNECTED, field="destination")
    return endpoint


@audit_refusals(
    AuditEventName.CREATE_TRAIL,
    event_source=CLOUDTRAIL_SOURCE,
    describe=lambda *, account, name, destination, **kwargs: (
        account,
        {
            "name": name,
            "destination": destination,
            "s3BucketName": kwargs.get("s3_bucket", ""),
            "s3Endpoint": _endpoint_origin(str(kwargs.get("s3_endpoint_url", ""))),
        },
    ),
)
@transaction.atomic
def trail_create(
    *,
    account: Account,
    name: str,
    destination: str,
    actor: Principal,
    folder: str = "",
    s3_bucket: str = "",
    s3_prefix: str = "",
    s3_region: str = "us-east-1",
    s3_endpoint_url: str = "",
) -> Trail:
    """Define a trail (CreateTrail). Local trails write under the data directory only (never
    an arbitrary path of the server). S3 trails need the account's AWS connection, whose
    credentials deliver the files; an S3-compatible endpoint must pass the webhooks' vetting
    (`core.netguard`: no localhost or non-public address, https unless allowed).

    Preconditions: `actor` was authorized for cloudtrail:CreateTrail on `account`.
    Side effects: an audit record (CreateTrail; refusals recorded too).
    Raises `InvalidParameterValueException`, `EntityAlreadyExists`.
    """
    if not _NAME_RE.match(name or ""):
        raise InvalidParameterValueException(MSG_NAME, field="name")
    if Trail.objects.filter(account=account, name=name).exists():
        raise EntityAlreadyExists(MSG_EXISTS.format(name=name), field="name")
    if destination == TrailDestination.LOCAL:
        folder = folder or name
        if not _NAME_RE.match(folder):
            raise InvalidParameterValueException(MSG_FOLDER, field="folder")
        s3_bucket = s3_prefix = s3_endpoint_url = ""
    elif destination == TrailDestination.S3:
        if not _BUCKET_RE.match(s3_bucket or ""):
            raise InvalidParameterValueException(MSG_BUCKET, field="s3_bucket")
        s3_region = (s3_region or "us-east-1").strip()
        if not _REGION_RE.match(s3_region):
            raise InvalidParameterValueException(MSG_REGION, field="s3_region")
        s3_endpoint_url = _check_s3_ready(account, s3_endpoint_url)
    else:
        raise InvalidParameterValueException(MSG_DESTINATION, field="destination")
    trail = Trail.objects.create(
        account=account,
        name=name,
        destination=destination,
        folder=folder if destination == TrailDestination.LOCAL else "",
        s3_bucket=s3_bucket,
        s3_prefix=s3_prefix.strip("/")[:200],
        s3_region=s3_region or "us-east-1",
        s3_endpoint_url=s3_endpoint_url,
    )
    audit.record(
        actor=actor,
        event_name=AuditEventName.CREATE_TRAIL,
        event_source=CLOUDTRAIL_SOURCE,
        account=account,
        request_parameters={
            "name": name,
            "destination": destination,
            "s3BucketName": s3_bucket,
            "s3Endpoint": _endpoint_origin(s3_endpoint_url),
        },
        resources=_resources(name),
    )
    return trail


@audit_refusals(
    AuditEventName.START_LOGGING,
    event_source=CLOUDTRAIL_SOURCE,
    describe=lambda *, trail, **_: (trail.account, {"name": trail.name}),
)
@transaction.atomic
def trail_set_enabled(*, trail: Trail, actor: Principal, enabled: bool) -> Trail:
    """Enable (StartLogging) or disable (StopLogging) a trail. A disabled trail delivers
    nothing; once enabled again, the next run delivers every record it missed that is still
    kept. Enabling an S3 trail checks again what creating one does (the account's AWS
    connection, an allowed endpoint).

    Preconditions: `trail` was loaded with `access_trail` for cloudtrail:StartLogging or
    cloudtrail:StopLogging.
    Side effects: an audit record, when the state changed.
    Raises `InvalidParameterValueException` (enabling only).
    """
    if trail.enabled == enabled:
        return trail
    if enabled and trail.destination == TrailDestination.S3:
        _check_s3_ready(trail.account, trail.s3_endpoint_url)
    trail.enabled = enabled
    trail.save(update_fields=["enabled"])
    audit.record(
        actor=actor,
        event_name=AuditEventName.START_LOGGING if enabled else AuditEventName.STOP_LOGGING,
        event_source=CLOUDTRAIL_SOURCE,
        account=trail.account,
        request_parameters={"name": trail.name},
        resources=_resources(trail.name),
    )
    return trail


@transaction.atomic
def trail_delete(*, trail: Trail, actor: Principal) -> None:
    """Delete a trail (DeleteTrail) and its delivery records; the files already delivered stay
    where they are, and a run delivering it now records nothing more.

    Preconditions: `trail` was loaded with `access_trail` for cloudtrail:DeleteTrail.
    Side effects: an audit record (DeleteTrail).
    """
    audit.record(
        actor=actor,
        event_name=AuditEventName.DELETE_TRAIL,
        event_source=CLOUDTRAIL_SOURCE,
        account=trail.account,
        request_parameters={"name": trail.name},
        resources=_resources(trail.name),
    )
    trail.delete()


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
