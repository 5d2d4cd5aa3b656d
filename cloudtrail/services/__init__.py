"""Trails: an account's audit records delivered as CloudTrail log files, with a digest chain.

This module defines, enables, disables and deletes trails; `cloudtrail.services.delivery`
delivers them (beat, every five minutes) and verifies their digest chain, re-exported here.
Destinations (`cloudtrail.destinations`): a folder under the data directory, or an S3 bucket
reached with the account's own AWS connection only. A disabled trail delivers nothing until it
is enabled again; deleting one stops it for good (the files already delivered stay where they
are).

Creating a trail is a prepared operation, as adding a webhook target is: `trail_prepare`
validates it outside any transaction (an S3-compatible endpoint's host is resolved there, as
every delivery resolves it: DNS can take seconds, which must not hold SQLite's write lock) and
`trail_commit` writes it in one. An endpoint whose host resolves to an address that is not
public is refused; one whose host does not resolve now is accepted, with its host reported
(deliveries fail, and retry, until it does). Deliveries vet the endpoint again, at every request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils.translation import gettext_noop

from accounts.models import Account
from accounts.principals import Principal
from audit import services as audit
from audit.names import CLOUDTRAIL_SOURCE, AuditEventName
from audit.refusals import audit_refusals
from cloudtrail.models import Trail, TrailDestination
from cloudtrail.services.delivery import (
    BATCH,
    DESTINATION_PROBLEMS,
    trail_deliver,
    trail_verify,
    trails_deliver,
)
from connections.selectors import aws_connection_get
from core import netguard
from core.errors import EntityAlreadyExists, InvalidParameterValueException

__all__ = [
    "BATCH",
    "DESTINATION_PROBLEMS",
    "PreparedTrail",
    "VettedEndpoint",
    "trail_commit",
    "trail_create",
    "trail_deliver",
    "trail_delete",
    "trail_prepare",
    "trail_set_enabled",
    "trail_verify",
    "trails_deliver",
]


_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{3,128}$")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# botocore's own rule for region names (S3-compatible stores use names such as "auto" too).
_REGION_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
TRAIL_RESOURCE_TYPE = "AWS::CloudTrail::Trail"

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
MSG_ENDPOINT_RESOLVES_PRIVATE = gettext_noop(
    "{host} resolves to {address}, which is not a public internet address. The S3 endpoint "
    "must be a public internet host."
)
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


@dataclass(frozen=True)
class VettedEndpoint:
    """A tenant's S3 endpoint as saving it vetted it (`_check_s3_ready`)."""

    # The URL, stripped ("" for AWS itself, or the connection's own endpoint).
    url: str = ""
    # Its host when it did not resolve (deliveries fail, and are retried, until it does).
    unresolved_host: str = ""


def _clean_endpoint(url: str) -> str:
    """A tenant's S3 endpoint, stripped, if its text passes the rules a webhook's URL is held
    to (`core.netguard.url_problem`). Raises `InvalidParameterValueException`."""
    url = (url or "").strip()
    if not url:
        return ""
    problem = netguard.url_problem(url)
    if problem is not None or len(url) > 300:
        message = ENDPOINT_MESSAGES[problem] if problem else MSG_ENDPOINT_INVALID
        raise InvalidParameterValueException(message, field="s3_endpoint_url")
    return url


def _resolved_endpoint(url: str) -> VettedEndpoint:
    """A cleaned endpoint's host resolved as every request of a delivery resolves it, without
    connecting (`netguard.lookup_url_host`, as for webhooks): a name every request would refuse
    (an address that is not public) is refused now; one that does not resolve at the moment is
    not, since a delivery meets that as a failure it retries. Call it outside any transaction.
    Raises `InvalidParameterValueException`."""
    if not url:
        return VettedEndpoint()
    lookup = netguard.lookup_url_host(url)
    if lookup.refused is not None:
        raise InvalidParameterValueException(
            MSG_ENDPOINT_RESOLVES_PRIVATE,
            params={"host": lookup.host, "address": str(lookup.refused)},
            field="s3_endpoint_url",
        )
    return VettedEndpoint(url, "" if lookup.resolved else lookup.host)


def _check_s3_ready(account: Account, endpoint: str) -> VettedEndpoint:
    """What an S3 trail needs before it is created or enabled: an allowed endpoint and the
    account's AWS connection (never the server's own credentials); the endpoint's host is
    resolved last, the one step that waits on the network. Call it outside any transaction."""
    endpoint = _clean_endpoint(endpoint)
    if aws_connection_get(account) is None:
        raise InvalidParameterValueException(MSG_NOT_CONNECTED, field="destination")
    return _resolved_endpoint(endpoint)


@dataclass(frozen=True)
class PreparedTrail:
    """A trail `trail_prepare` validated, for `trail_commit` to write."""

    account: Account
    name: str
    destination: str
    folder: str = ""
    s3_bucket: str = ""
    s3_prefix: str = ""
    s3_region: str = "us-east-1"
    endpoint: VettedEndpoint = VettedEndpoint()

    @property
    def unresolved_host(self) -> str:
        """The S3 endpoint's host if it did not resolve when it was vetted."""
        return self.endpoint.unresolved_host


def _describe_create(
    *, account: Account, name: str, destination: str, **kwargs: Any
) -> tuple[Account, dict[str, Any]]:
    return account, {
        "name": name,
        "destination": destination,
        "s3BucketName": kwargs.get("s3_bucket", ""),
        "s3Endpoint": _endpoint_origin(str(kwargs.get("s3_endpoint_url", ""))),
    }


@audit_refusals(
    AuditEventName.CREATE_TRAIL, event_source=CLOUDTRAIL_SOURCE, describe=_describe_create
)
def trail_prepare(
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
) -> PreparedTrail:
    """Validate a trail (CreateTrail), outside any transaction: an S3-compatible endpoint's
    host is resolved (`_resolved_endpoint`). Writes nothing.

    Local trails write under the data directory only (never an arbitrary path of the server).
    S3 trails need the account's AWS connection, whose credentials deliver the files; an
    S3-compatible endpoint is vetted as webhooks' URLs are (`core.netguard`: https unless
    allowed, no localhost or non-public address, nor a name resolving to one, unless
    EVENTS_ALLOW_PRIVATE_WEBHOOKS is set); one whose host does not resolve now is accepted and
    reported in `unresolved_host`.

    Preconditions: `actor` was authorized for cloudtrail:CreateTrail on `account`.
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
        return PreparedTrail(account, name, destination, folder=folder)
    if destination != TrailDestination.S3:
        raise InvalidParameterValueException(MSG_DESTINATION, field="destination")
    if not _BUCKET_RE.match(s3_bucket or ""):
        raise InvalidParameterValueException(MSG_BUCKET, field="s3_bucket")
    s3_region = (s3_region or "us-east-1").strip()
    if not _REGION_RE.match(s3_region):
        raise InvalidParameterValueException(MSG_REGION, field="s3_region")
    return PreparedTrail(
        account,
        name,
        destination,
        s3_bucket=s3_bucket,
        s3_prefix=s3_prefix.strip("/")[:200],
        s3_region=s3_region,
        endpoint=_check_s3_ready(account, s3_endpoint_url),
    )


@audit_refusals(
    AuditEventName.CREATE_TRAIL,
    event_source=CLOUDTRAIL_SOURCE,
    describe=lambda *, prepared, **_: _describe_create(
        account=prepared.account,
        name=prepared.name,
        destination=prepared.destination,
        s3_bucket=prepared.s3_bucket,
        s3_endpoint_url=prepared.endpoint.url,
    ),
)
@transaction.atomic
def trail_commit(*, prepared: PreparedTrail, actor: Principal) -> Trail:
    """Define the trail `trail_prepare` returned (CreateTrail).

    Preconditions: `prepared` comes from `trail_prepare` in this request.
    Side effects: an audit record (CreateTrail; refusals recorded too).
    Raises `EntityAlreadyExists` (created meanwhile).
    """
    account, name = prepared.account, prepared.name
    if Trail.objects.filter(account=account, name=name).exists():
        raise EntityAlreadyExists(MSG_EXISTS.format(name=name), field="name")
    trail = Trail.objects.create(
        account=account,
        name=name,
        destination=prepared.destination,
        folder=prepared.folder,
        s3_bucket=prepared.s3_bucket,
        s3_prefix=prepared.s3_prefix,
        s3_region=prepared.s3_region,
        s3_endpoint_url=prepared.endpoint.url,
    )
    audit.record(
        actor=actor,
        event_name=AuditEventName.CREATE_TRAIL,
        event_source=CLOUDTRAIL_SOURCE,
        account=account,
        request_parameters={
            "name": name,
            "destination": prepared.destination,
            "s3BucketName": prepared.s3_bucket,
            "s3Endpoint": _endpoint_origin(prepared.endpoint.url),
        },
        resources=_resources(name),
    )
    return trail


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
    """`trail_prepare` then `trail_commit`: define a trail (CreateTrail), for callers with
    nothing to do in between. Call it outside any transaction (an endpoint's host is resolved).
    Preconditions, side effects and errors: those of the two steps."""
    prepared = trail_prepare(
        account=account,
        name=name,
        destination=destination,
        actor=actor,
        folder=folder,
        s3_bucket=s3_bucket,
        s3_prefix=s3_prefix,
        s3_region=s3_region,
        s3_endpoint_url=s3_endpoint_url,
    )
    return trail_commit(prepared=prepared, actor=actor)


@audit_refusals(
    AuditEventName.START_LOGGING,
    event_source=CLOUDTRAIL_SOURCE,
    describe=lambda *, trail, **_: (trail.account, {"name": trail.name}),
)
def trail_set_enabled(*, trail: Trail, actor: Principal, enabled: bool) -> tuple[Trail, str]:
    """Enable (StartLogging) or disable (StopLogging) a trail. A disabled trail delivers
    nothing; once enabled again, the next run delivers every record it missed that is still
    kept. Enabling an S3 trail checks again what creating one does (the account's AWS
    connection, an allowed endpoint whose host is resolved: call it outside any transaction).
    Returns the trail and, when enabling, the endpoint's host if it did not resolve (else "").

    Preconditions: `trail` was loaded with `access_trail` for cloudtrail:StartLogging or
    cloudtrail:StopLogging.
    Side effects: an audit record, when the state changed.
    Raises `InvalidParameterValueException` (enabling only).
    """
    if trail.enabled == enabled:
        return trail, ""
    endpoint = VettedEndpoint()
    if enabled and trail.destination == TrailDestination.S3:
        endpoint = _check_s3_ready(trail.account, trail.s3_endpoint_url)
    _write_enabled(trail=trail, actor=actor, enabled=enabled)
    return trail, endpoint.unresolved_host


@transaction.atomic
def _write_enabled(*, trail: Trail, actor: Principal, enabled: bool) -> None:
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
