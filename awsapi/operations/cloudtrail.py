"""CloudTrail's LookupEvents over the account's event history: the records /cloudtrail/ lists,
through `aws cloudtrail lookup-events` and boto3's `cloudtrail` client (its paginator included).

Parse -> access -> page -> shape. The input checks that CloudTrail answers with its own errors
(InvalidMaxResultsException, InvalidLookupAttributesException, InvalidTimeRangeException,
InvalidEventCategoryException) run before the model's generic validation (`check_lookup_events`);
an altered token, or one from another query, is InvalidNextTokenException.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from audit import selectors
from audit.models import AuditEvent
from awsapi import model
from awsapi.dispatch import CallContext, operation
from cloudtrail import access
from core.errors import (
    InvalidEventCategoryException,
    InvalidLookupAttributesException,
    InvalidMaxResultsException,
    InvalidNextTokenException,
    InvalidTimeRangeException,
    ValidationException,
)
from core.paging import cursor_from_token, keyset_page, page_token

MAX_RESULTS = 50
# The only category LookupEvents takes besides management events (the default).
INSIGHT = "insight"

MSG_MAX_RESULTS = f"MaxResults must be between 1 and {MAX_RESULTS}."
MSG_ONE_ATTRIBUTE = "Only one lookup attribute may be specified."
MSG_ATTRIBUTE_KEY = "Lookup attribute key {key!r} is not valid; use one of: {keys}."
MSG_ATTRIBUTE_VALUE = "The value of lookup attribute {key} must not be empty."
MSG_READ_ONLY = "The value of lookup attribute ReadOnly must be true or false."
MSG_TIME = "{member} is not a valid time."
MSG_TIME_ORDER = "The start time must be before the end time."
MSG_EVENT_CATEGORY = f"EventCategory must be {INSIGHT}."
MSG_NEXT_TOKEN = (
    "The NextToken is not valid: use it unaltered, with the parameters of the call that "
    "returned it."
)


def _check_attributes(attributes: Any) -> None:
    if not isinstance(attributes, list):
        return  # the model's validation answers for the type
    if len(attributes) > 1:
        raise InvalidLookupAttributesException(MSG_ONE_ATTRIBUTE)
    if not attributes or not isinstance(attributes[0], dict):
        return
    key, value = attributes[0].get("AttributeKey"), attributes[0].get("AttributeValue")
    if isinstance(key, str) and key not in selectors.LOOKUP_ATTRIBUTES:
        raise InvalidLookupAttributesException(
            MSG_ATTRIBUTE_KEY.format(key=key[:100], keys=", ".join(selectors.LOOKUP_ATTRIBUTES))
        )
    if isinstance(key, str) and value == "":
        raise InvalidLookupAttributesException(MSG_ATTRIBUTE_VALUE.format(key=key))
    if key == "ReadOnly" and isinstance(value, str) and value.lower() not in ("true", "false"):
        raise InvalidLookupAttributesException(MSG_READ_ONLY)


def _check_times(body: dict[str, Any]) -> None:
    moments: dict[str, datetime] = {}
    for member in ("StartTime", "EndTime"):
        value = body.get(member)
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            continue  # not a timestamp's type: the model's validation answers
        moment = model.parse_timestamp(value)
        if moment is None:
            # Outside what a timestamp can hold, or not one at all.
            raise InvalidTimeRangeException(MSG_TIME.format(member=member))
        moments[member] = moment
    if "StartTime" in moments and "EndTime" in moments:
        if moments["StartTime"] > moments["EndTime"]:
            raise InvalidTimeRangeException(MSG_TIME_ORDER)


def check_lookup_events(body: dict[str, Any]) -> None:
    """CloudTrail's own answers to inputs it refuses, before the model's ValidationException.
    Only values of the right type are looked at: the model's validation answers for the rest."""
    max_results = body.get("MaxResults")
    if (
        isinstance(max_results, int)
        and not isinstance(max_results, bool)
        and not 1 <= max_results <= MAX_RESULTS
    ):
        raise InvalidMaxResultsException(MSG_MAX_RESULTS)
    _check_attributes(body.get("LookupAttributes"))
    _check_times(body)
    category = body.get("EventCategory")
    if isinstance(category, str) and category != INSIGHT:
        raise InvalidEventCategoryException(MSG_EVENT_CATEGORY)


def _resources(event: AuditEvent) -> list[dict[str, str]]:
    resources = event.resources if isinstance(event.resources, list) else []
    return [
        {
            "ResourceType": str(resource.get("ResourceType") or ""),
            "ResourceName": str(resource.get("ResourceName") or ""),
        }
        for resource in resources
        if isinstance(resource, dict)
    ]


def event_shape(event: AuditEvent) -> dict[str, Any]:
    """One record as LookupEvents' `Event`: the lookup columns, and the whole record in
    CloudTrail's format as a JSON string (`CloudTrailEvent`)."""
    record = selectors.to_cloudtrail(event)
    return {
        "EventId": str(event.event_id),
        "EventName": event.event_name,
        "ReadOnly": "true" if event.read_only else "false",
        "AccessKeyId": event.access_key_id or None,
        "EventTime": event.event_time,
        "EventSource": event.event_source,
        "Username": event.user_name or None,
        "Resources": _resources(event),
        "CloudTrailEvent": json.dumps(record, ensure_ascii=False),
    }


@operation("LookupEvents", read_only=True, service=model.CLOUDTRAIL, check=check_lookup_events)
def lookup_events(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    attribute = value = ""
    if body.get("LookupAttributes"):
        attribute = body["LookupAttributes"][0]["AttributeKey"]
        value = body["LookupAttributes"][0]["AttributeValue"]
    start: datetime | None = body.get("StartTime")
    end: datetime | None = body.get("EndTime")
    category = body.get("EventCategory") or ""
    scope = {
        "op": "LookupEvents",
        "account": ctx.account.account_id,
        "attribute": attribute,
        "value": value,
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
        "category": category,
    }
    try:
        cursor = cursor_from_token(
            body.get("NextToken"), AuditEvent, selectors.HISTORY_ORDER, scope, strict=True
        )
    except ValidationException:
        raise InvalidNextTokenException(MSG_NEXT_TOKEN) from None
    queryset = access.event_history_for_principal(
        ctx.principal, attribute=attribute, value=value, start=start, end=end
    )
    if category == INSIGHT:
        # Insights events (unusual call rates) are not recorded here: none to return.
        queryset = queryset.none()
    page = keyset_page(
        queryset,
        selectors.HISTORY_ORDER,
        cursor=cursor,
        limit=body.get("MaxResults") or MAX_RESULTS,
        restart=False,
    )
    result: dict[str, Any] = {"Events": [event_shape(event) for event in page.items]}
    if page.next_cursor is not None:
        result["NextToken"] = page_token(page.next_cursor, scope)
    return result
