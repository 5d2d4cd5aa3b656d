"""Writing the audit trail.

`record()` is called *inside* the calling service's transaction, so the record commits or rolls
back with the change it describes. A refused action is recorded after its rollback, in a
transaction of its own, by `record_failure`. Never from signals.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.actors import Actor, AuditedAccount
from audit.models import AuditEvent, AuditEventType
from audit.names import (
    CLOUDTRAIL_SOURCE,
    EVENTS_SOURCE,
    IAM_SOURCE,
    SIGNIN_SOURCE,
    SUPPORT_NAME,
    SUPPORT_SOURCE,
    TRUSTED_ADVISOR_SOURCE,
    AuditEventName,
)
from core.bulk import from_values, insert_row, insert_rows

__all__ = [
    "CLOUDTRAIL_SOURCE",
    "EVENTS_SOURCE",
    "IAM_SOURCE",
    "SIGNIN_SOURCE",
    "SUPPORT_SOURCE",
    "TRUSTED_ADVISOR_SOURCE",
    "AuditEventName",
    "audit_events_purge",
    "record",
    "record_failure",
    "record_many",
    "user_identity",
]


def user_identity(actor: Actor) -> dict[str, Any]:
    """CloudTrail's `userIdentity` for the actor."""
    user = actor.user
    if user is None:
        identity: dict[str, Any] = {"type": "AWSService", "invokedBy": SUPPORT_SOURCE}
        if actor.is_system:
            # Named as an engineer's identity is, so Support's actions read alike.
            identity["userName"] = SUPPORT_NAME
        return identity
    identity = {"principalId": user.principal_id, "arn": user.arn}
    if user.is_engineer:
        identity.update(type="AWSService", invokedBy=SUPPORT_SOURCE)
        identity["userName"] = user.identity_name
        return identity
    identity["type"] = "Root" if user.is_root else "IAMUser"
    # Customers (root and IAM users) always have an account.
    identity["accountId"] = user.account.account_id if user.account is not None else ""
    if user.is_iam:
        identity["userName"] = user.user_name
    if actor.access_key_id:
        identity["accessKeyId"] = actor.access_key_id
    if actor.via == "console":
        identity["invokedBy"] = SIGNIN_SOURCE
        identity["sessionContext"] = {"attributes": {"mfaAuthenticated": "false"}}
    return identity


def _user_name(actor: Actor) -> str:
    """The record's user name (event history, LookupEvents' Username): the user's, or Support's
    for the system principal, whose actions in a case are Support's."""
    if actor.user is not None:
        return actor.user.identity_name
    return SUPPORT_NAME if actor.is_system else ""


def _event_type(actor: Actor, event_source: str) -> str:
    if event_source == SIGNIN_SOURCE:
        return AuditEventType.CONSOLE_SIGN_IN
    if actor.via == "api":
        return AuditEventType.API_CALL
    if actor.is_system or actor.is_engineer:
        return AuditEventType.SERVICE_EVENT
    return AuditEventType.CONSOLE_ACTION


# Request parameters that name the resource a call is about, and its CloudTrail type.
RESOURCE_KEYS = (
    ("caseId", "AWS::Support::Case"),
    ("attachmentSetId", "AWS::Support::AttachmentSet"),
    ("uploadId", "AWS::Support::Upload"),
    ("checkId", "AWS::TrustedAdvisor::Check"),
    ("userName", "AWS::IAM::User"),
    ("groupName", "AWS::IAM::Group"),
    ("policyName", "AWS::IAM::Policy"),
    ("accessKeyId", "AWS::IAM::AccessKey"),
)


def resources_for(
    parameters: dict[str, Any] | None, response: dict[str, Any] | None
) -> list[dict[str, str]]:
    merged = {**(response or {}), **(parameters or {})}
    found = []
    for key, resource_type in RESOURCE_KEYS:
        value = merged.get(key)
        if isinstance(value, str) and value:
            found.append({"ResourceType": resource_type, "ResourceName": value[:300]})
    return found


def _fields(
    *,
    actor: Actor,
    identity: dict[str, Any],
    event_name: str,
    account: AuditedAccount | None,
    event_source: str,
    request_parameters: dict[str, Any] | None,
    response_elements: dict[str, Any] | None,
    error_code: str = "",
    error_message: str = "",
    read_only: bool = False,
    resources: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """An audit record's fields (the record, before it is written)."""
    if resources is None:
        resources = resources_for(request_parameters, response_elements)
    return {
        "event_time": timezone.now(),
        "event_source": event_source,
        "event_name": str(event_name),
        "event_type": _event_type(actor, event_source),
        "aws_region": settings.SUPPORTCENTER_AUDIT_REGION,
        "recipient_account_id": account.account_id if account is not None else "",
        "user_identity": identity,
        "principal_arn": actor.arn,
        "user_name": _user_name(actor),
        "access_key_id": actor.access_key_id,
        "source_ip": actor.source_ip,
        "user_agent": actor.user_agent[:1000],
        "request_id": actor.request_id or str(uuid.uuid4()),
        "request_parameters": request_parameters,
        "response_elements": response_elements,
        "error_code": error_code,
        "error_message": error_message[:1000],
        "read_only": read_only,
        "resources": resources or [],
        "resource_type": resources[0]["ResourceType"] if resources else "",
        "resource_name": resources[0]["ResourceName"] if resources else "",
    }


def record(
    *,
    actor: Actor,
    event_name: str,
    account: AuditedAccount | None,
    event_source: str = SUPPORT_SOURCE,
    request_parameters: dict[str, Any] | None = None,
    response_elements: dict[str, Any] | None = None,
    error_code: str = "",
    error_message: str = "",
    read_only: bool = False,
    resources: list[dict[str, str]] | None = None,
) -> AuditEvent:
    """Write one audit record. Callers pass parameters already stripped of case text and secrets.
    One INSERT composed once (`core.bulk.insert_row`): every API call writes one."""
    values = insert_row(
        AuditEvent,
        _fields(
            actor=actor,
            identity=user_identity(actor),
            event_name=event_name,
            account=account,
            event_source=event_source,
            request_parameters=request_parameters,
            response_elements=response_elements,
            error_code=error_code,
            error_message=error_message,
            read_only=read_only,
            resources=resources,
        ),
    )
    return from_values(AuditEvent, values)


def record_many(
    *,
    actor: Actor,
    event_name: str,
    entries: Iterable[tuple[AuditedAccount | None, dict[str, Any], dict[str, Any]]],
    event_source: str = SUPPORT_SOURCE,
) -> int:
    """Write one record of the same action by `actor` per (account, request parameters,
    response elements) of `entries`, in one statement (`core.bulk.insert_rows`): for jobs acting
    on many objects at once, each of which gets the record a single action would. Same rules
    as `record`. Returns how many records."""
    identity = user_identity(actor)
    now = timezone.now()
    rows = []
    for account, parameters, response in entries:
        row = _fields(
            actor=actor,
            identity=identity,
            event_name=event_name,
            account=account,
            event_source=event_source,
            request_parameters=parameters,
            response_elements=response,
        )
        # One moment for the statement, as for the other rows a job writes in it.
        row["event_time"] = now
        rows.append(row)
    return insert_rows(AuditEvent, rows)


def record_failure(
    *,
    actor: Actor,
    event_name: str,
    account: AuditedAccount | None,
    error: Exception,
    event_source: str = SUPPORT_SOURCE,
    request_parameters: dict[str, Any] | None = None,
) -> None:
    """Record a refused action after its transaction rolled back (in a transaction of its own)."""
    with transaction.atomic():
        record(
            actor=actor,
            event_name=event_name,
            account=account,
            event_source=event_source,
            request_parameters=request_parameters,
            error_code=getattr(error, "code", type(error).__name__),
            error_message=getattr(error, "message", str(error)),
        )


def audit_events_purge(*, batch_size: int = 5000) -> int:
    """Delete audit records past the retention, in batches; safe to run twice."""
    cutoff = timezone.now() - timedelta(days=settings.SUPPORTCENTER_AUDIT_RETENTION_DAYS)
    deleted = 0
    while True:
        batch = list(
            AuditEvent.objects.filter(event_time__lt=cutoff)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            return deleted
        with transaction.atomic():
            AuditEvent.objects.filter(pk__in=batch).delete()
        deleted += len(batch)
