"""The only way to load an account's audit records and trails: scoped by the principal's
account, authorized for the action, and "not yours" answered exactly like "does not exist"."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import QuerySet

from accounts.access import authorize, customer_account
from accounts.principals import Principal
from audit import selectors
from audit.models import AuditEvent
from cloudtrail.models import Trail
from core.errors import ResourceNotFoundException, TrailNotFoundException

MSG_TRAIL_NOT_FOUND = "Unknown trail: {name} for the user: {account_id}."
MSG_EVENT_NOT_FOUND = "Event {event_id} does not exist."


def trails_for_principal(principal: Principal) -> QuerySet[Trail]:
    """The trails of the principal's account, by name (engineers own none)."""
    account = customer_account(principal)
    if account is None:
        return Trail.objects.none()
    return Trail.objects.filter(account=account).select_related("account").order_by("name")


def access_trail(
    principal: Principal, name: str, *, action: str = "cloudtrail:DescribeTrails"
) -> Trail:
    """One of the account's trails by name; `TrailNotFoundException` otherwise."""
    authorize(principal, action)
    trail = trails_for_principal(principal).filter(name=name).first()
    if trail is None:
        account = customer_account(principal)
        raise TrailNotFoundException(
            MSG_TRAIL_NOT_FOUND.format(name=name, account_id=account.account_id if account else "")
        )
    return trail


def access_audit_event(
    principal: Principal, event_id: str | uuid.UUID, *, action: str = "cloudtrail:LookupEvents"
) -> AuditEvent:
    """One of the account's audit records by its event id; `ResourceNotFoundException` for a
    missing one and for another account's alike."""
    authorize(principal, action)
    account = customer_account(principal)
    missing = ResourceNotFoundException(MSG_EVENT_NOT_FOUND.format(event_id=event_id))
    if account is None:
        raise missing
    event = AuditEvent.objects.filter(
        recipient_account_id=account.account_id, event_id=event_id
    ).first()
    if event is None:
        raise missing
    return event


def event_history_for_principal(
    principal: Principal,
    *,
    attribute: str = "",
    value: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
    action: str = "cloudtrail:LookupEvents",
) -> QuerySet[AuditEvent]:
    """The event history of the principal's account (`audit.selectors.history_for_account`:
    the last 90 days, at most one lookup attribute, a time range); none for engineers and the
    system, who have no account. Page it in `audit.selectors.HISTORY_ORDER`."""
    authorize(principal, action)
    account = customer_account(principal)
    if account is None:
        return AuditEvent.objects.none()
    return selectors.history_for_account(
        account, attribute=attribute, value=value, start=start, end=end
    )
