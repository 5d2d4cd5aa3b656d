"""Trails: an account's audit records delivered as CloudTrail log files, with a digest chain.

Every run (beat, every five minutes) writes, per trail, one gzipped `{"Records": [...]}` file with
the records since the last delivery, then a digest file that holds the log file's SHA-256 and the
SHA-256 of the previous digest, so removing, changing or reordering any file breaks the chain
(`trail_verify`). A failed delivery is recorded on the trail and retried on the next run, from the
same record. Destinations: a folder under the data directory, or an S3 bucket through boto3.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import boto3
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from accounts.principals import Principal
from audit import services as audit
from audit.models import AuditEvent
from audit.names import CLOUDTRAIL_SOURCE, AuditEventName
from audit.selectors import to_cloudtrail
from cloudtrail.models import Trail, TrailDelivery, TrailDestination
from core import crypto
from core.errors import EntityAlreadyExists, InvalidParameterValueException

BATCH = 5000
_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{3,128}$")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class Destination(Protocol):
    def write(self, key: str, data: bytes) -> None: ...
    def read(self, key: str) -> bytes: ...


@dataclass
class LocalDestination:
    root: Path

    def write(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()


@dataclass
class S3Destination:
    trail: Trail

    def _client(self) -> Any:  # boto3 is untyped
        kwargs: dict[str, str] = {"region_name": self.trail.s3_region or "us-east-1"}
        if self.trail.s3_endpoint_url:
            kwargs["endpoint_url"] = self.trail.s3_endpoint_url
        if self.trail.s3_access_key_id:
            kwargs["aws_access_key_id"] = self.trail.s3_access_key_id
            kwargs["aws_secret_access_key"] = crypto.decrypt(self.trail.s3_secret_encrypted)
        return boto3.client("s3", **kwargs)

    def _key(self, key: str) -> str:
        prefix = self.trail.s3_prefix.strip("/")
        return f"{prefix}/{key}" if prefix else key

    def write(self, key: str, data: bytes) -> None:
        self._client().put_object(Bucket=self.trail.s3_bucket, Key=self._key(key), Body=data)

    def read(self, key: str) -> bytes:
        return (
            self._client()
            .get_object(Bucket=self.trail.s3_bucket, Key=self._key(key))["Body"]
            .read()
        )


def trails_root(account: Account) -> Path:
    return Path(settings.DATA_DIR) / "trails" / account.account_id


def destination_for(trail: Trail) -> Destination:
    if trail.destination == TrailDestination.S3:
        return S3Destination(trail)
    return LocalDestination(trails_root(trail.account) / trail.folder)


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
    s3_access_key_id: str = "",
    s3_secret_access_key: str = "",
) -> Trail:
    """Define a trail. Local trails write under the data directory only (never an arbitrary
    path of the server). Raises `InvalidParameterValueException`, `EntityAlreadyExists`."""
    if not _NAME_RE.match(name or ""):
        raise InvalidParameterValueException(
            "Trail names are 3-128 letters, digits, dots, dashes or underscores.", field="name"
        )
    if Trail.objects.filter(account=account, name=name).exists():
        raise EntityAlreadyExists(f"A trail called {name} already exists.", field="name")
    if destination == TrailDestination.LOCAL:
        folder = folder or name
        if not _NAME_RE.match(folder):
            raise InvalidParameterValueException(
                "The folder is one name of 3-128 letters, digits, dots, dashes or underscores.",
                field="folder",
            )
    elif destination == TrailDestination.S3:
        if not _BUCKET_RE.match(s3_bucket or ""):
            raise InvalidParameterValueException("Enter a valid S3 bucket name.", field="s3_bucket")
    else:
        raise InvalidParameterValueException("Choose a local folder or an S3 bucket.")
    trail = Trail.objects.create(
        account=account,
        name=name,
        destination=destination,
        folder=folder if destination == TrailDestination.LOCAL else "",
        s3_bucket=s3_bucket,
        s3_prefix=s3_prefix.strip("/")[:200],
        s3_region=s3_region or "us-east-1",
        s3_endpoint_url=s3_endpoint_url,
        s3_access_key_id=s3_access_key_id,
        s3_secret_encrypted=crypto.encrypt(s3_secret_access_key) if s3_secret_access_key else "",
    )
    audit.record(
        actor=actor,
        event_name=AuditEventName.CREATE_TRAIL,
        event_source=CLOUDTRAIL_SOURCE,
        account=account,
        request_parameters={"name": name, "destination": destination, "s3BucketName": s3_bucket},
    )
    return trail


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
    except Exception as exc:  # S3 errors, a full disk: shown on the trail, retried next run
        Trail.objects.filter(pk=trail.pk).update(
            last_error=str(exc)[:1000], failures=trail.failures + 1
        )
        return 0
    with transaction.atomic():
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
            last_error="",
            failures=0,
        )
    trail.last_event_pk, trail.last_digest_hash = events[-1].pk, digest_hash
    return len(events)


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
    when every log file and digest is intact and in order)."""
    problems: list[str] = []
    target = destination_for(trail)
    previous = ""
    for delivery in trail.deliveries.order_by("delivered_at", "id"):
        try:
            log_bytes = target.read(delivery.log_key)
            digest_bytes = target.read(delivery.digest_key)
        except Exception as exc:
            problems.append(f"{delivery.log_key}: missing ({exc})")
            continue
        digest_hash = hashlib.sha256(digest_bytes).hexdigest()
        digest = json.loads(gzip.decompress(digest_bytes))
        if digest_hash != delivery.digest_hash:
            problems.append(f"{delivery.digest_key}: the digest file was changed")
        if (digest.get("previousDigestHashValue") or "") != previous:
            problems.append(f"{delivery.digest_key}: the chain is broken before this digest")
        recorded = {f["s3Object"]: f["hashValue"] for f in digest.get("logFiles", [])}
        if recorded.get(delivery.log_key) != hashlib.sha256(log_bytes).hexdigest():
            problems.append(f"{delivery.log_key}: the log file does not match its digest")
        previous = digest_hash
    return problems
