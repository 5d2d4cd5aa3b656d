"""Reads of the audit trail: CloudTrail's record format and the event-history lookup."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from audit.actors import AuditedAccount
from audit.models import AuditEvent
from core import safejson
from core.paging import SortKey

EVENT_VERSION = "1.11"

# CloudTrail LookupEvents allows one attribute at a time: all of its attributes, each a column
# (the resource ones: the record's first resource), each but the unique event id indexed with
# the account and the time.
LOOKUP_ATTRIBUTES = {
    "EventId": "event_id",
    "EventName": "event_name",
    "ReadOnly": "read_only",
    "Username": "user_name",
    "ResourceType": "resource_type",
    "ResourceName": "resource_name",
    "EventSource": "event_source",
    "AccessKeyId": "access_key_id",
}


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_cloudtrail(event: AuditEvent) -> dict[str, Any]:
    """One record in CloudTrail's format (as in a trail's log file and in event history).

    Always valid JSON that encodes as UTF-8, whatever the record holds (`core.safejson.sanitize`:
    records written directly, or before requests were checked, may hold lone surrogates, NaN,
    deep nesting or shapes we never write), so one odd record cannot break a page, a download
    or a trail's delivery."""
    record: dict[str, Any] = {
        "eventVersion": event.event_version or EVENT_VERSION,
        "userIdentity": event.user_identity,
        "eventTime": _z(event.event_time),
        "eventSource": event.event_source,
        "eventName": event.event_name,
        "awsRegion": event.aws_region,
        "sourceIPAddress": event.source_ip or "AWS Internal",
        "userAgent": event.user_agent,
        "requestParameters": event.request_parameters,
        "responseElements": event.response_elements,
        "requestID": event.request_id,
        "eventID": str(event.event_id),
        "readOnly": event.read_only,
        "eventType": event.event_type,
        "managementEvent": True,
        "recipientAccountId": event.recipient_account_id or None,
        "eventCategory": "Management",
    }
    resources = event.resources if isinstance(event.resources, list) else []
    if resources:
        record["resources"] = [
            {"type": r.get("ResourceType"), "ARN": r.get("ResourceName")}
            for r in resources
            if isinstance(r, dict)
        ]
    if event.error_code:
        record["errorCode"] = event.error_code
        record["errorMessage"] = event.error_message
    return cast(dict[str, Any], safejson.sanitize(record))


# Event history, newest first (the audit_account_* indexes end with it).
HISTORY_ORDER = (SortKey("event_time", descending=True), SortKey("id", descending=True))


def history_for_account(
    account: AuditedAccount,
    *,
    attribute: str = "",
    value: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[AuditEvent]:
    """The account's records of the last 90 days (the event-history window), newest first,
    filtered by at most one lookup attribute and a time range; page it in `HISTORY_ORDER`
    (`core.paging`)."""
    window_start = timezone.now() - timedelta(days=settings.SUPPORTCENTER_EVENT_HISTORY_DAYS)
    queryset = AuditEvent.objects.filter(
        recipient_account_id=account.account_id, event_time__gte=window_start
    )
    if attribute in LOOKUP_ATTRIBUTES and value != "":
        column = LOOKUP_ATTRIBUTES[attribute]
        if column == "read_only":
            queryset = queryset.filter(read_only=value.lower() == "true")
        elif column == "event_id":
            try:
                queryset = queryset.filter(event_id=uuid.UUID(value))
            except ValueError:
                # No record has an id that is not a UUID (the database would refuse the value).
                queryset = queryset.none()
        else:
            queryset = queryset.filter(**{column: value})
    if start is not None:
        queryset = queryset.filter(event_time__gte=start)
    if end is not None:
        queryset = queryset.filter(event_time__lte=end)
    return queryset
