"""The only way to load event rules, their targets and their deliveries: scoped by the
principal's account (engineers own none), authorized for the action, and "not yours" answered
exactly like "does not exist" (`ResourceNotFoundException`, as EventBridge answers)."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from accounts.access import authorize, customer_account
from accounts.principals import Principal
from core.errors import ResourceNotFoundException
from events.models import EventDelivery, EventRule, EventTarget

MSG_RULE_NOT_FOUND = "Rule {name} does not exist."
MSG_TARGET_NOT_FOUND = "Target {target_id} does not exist on rule {name}."
MSG_DELIVERY_NOT_FOUND = "Delivery {delivery_id} does not exist."


def event_rules_for_principal(principal: Principal) -> QuerySet[EventRule]:
    """The event rules `principal` may see: its own account's (engineers own none)."""
    queryset = EventRule.objects.all()
    if principal.is_system:
        return queryset
    account = customer_account(principal)
    if account is None:
        return queryset.none()
    return queryset.filter(account=account)


def access_event_rule(
    principal: Principal, name: str, *, action: str = "events:DescribeRule"
) -> EventRule:
    """A rule of the principal's account by name; `ResourceNotFoundException` for missing and
    not-yours alike."""
    authorize(principal, action)
    try:
        return event_rules_for_principal(principal).select_related("account").get(name=name)
    except EventRule.DoesNotExist:
        raise ResourceNotFoundException(MSG_RULE_NOT_FOUND.format(name=name)) from None


def access_event_target(
    principal: Principal,
    rule_name: str,
    target_id: str,
    *,
    action: str = "events:ListTargetsByRule",
) -> EventTarget:
    """A target of one of the account's rules; `ResourceNotFoundException` otherwise."""
    rule = access_event_rule(principal, rule_name, action=action)
    try:
        return EventTarget.objects.select_related("rule", "rule__account").get(
            rule=rule, target_id=target_id
        )
    except EventTarget.DoesNotExist:
        raise ResourceNotFoundException(
            MSG_TARGET_NOT_FOUND.format(target_id=target_id, name=rule_name)
        ) from None


def access_event_delivery(
    principal: Principal,
    rule_name: str,
    target_id: str,
    delivery_id: str,
    *,
    action: str = "events:ListTargetsByRule",
) -> EventDelivery:
    """A delivery to one of the account's targets; `ResourceNotFoundException` otherwise."""
    target = access_event_target(principal, rule_name, target_id, action=action)
    missing = ResourceNotFoundException(MSG_DELIVERY_NOT_FOUND.format(delivery_id=delivery_id))
    try:
        parsed = uuid.UUID(str(delivery_id))
    except ValueError:
        raise missing from None
    try:
        return EventDelivery.objects.select_related("target", "target__rule").get(
            target=target, delivery_id=parsed
        )
    except EventDelivery.DoesNotExist:
        raise missing from None
