"""Reads for the event rule pages, with their related rows loaded up front."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet

from accounts.models import Account
from events.models import DeliveryPurpose, DeliveryStatus, EventDelivery, EventRule, EventTarget


def rule_list_for_account(account: Account) -> QuerySet[EventRule]:
    """The account's rules by name, each with `target_count` (one query)."""
    return (
        EventRule.objects.filter(account=account)
        .annotate(target_count=Count("targets"))
        .order_by("name")
    )


def rule_targets(rule: EventRule) -> list[EventTarget]:
    """A rule's targets, each with counts of its event deliveries by status (confirmation
    emails are not counted; the delivery log lists them) (one query)."""
    events = Q(deliveries__purpose=DeliveryPurpose.EVENT)
    return list(
        EventTarget.objects.filter(rule=rule)
        .annotate(
            delivered_count=Count(
                "deliveries", filter=events & Q(deliveries__status=DeliveryStatus.DELIVERED)
            ),
            failed_count=Count(
                "deliveries", filter=events & Q(deliveries__status=DeliveryStatus.FAILED)
            ),
            waiting_count=Count(
                "deliveries",
                filter=events
                & Q(deliveries__status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
            ),
        )
        .order_by("created_at", "id")
    )


def delivery_page(
    target: EventTarget, number: int | str | None, per_page: int
) -> Page[EventDelivery]:
    """One page of a target's deliveries, newest first, with their attempts: three queries
    (count, page, attempts) whatever the page size."""
    queryset = (
        EventDelivery.objects.filter(target=target)
        .prefetch_related("attempt_log")
        .order_by("-created_at", "-id")
    )
    return Paginator(queryset, per_page).get_page(number)
