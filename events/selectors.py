"""Reads for the event rule pages, with their related rows loaded up front."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from accounts.models import Account
from core.paging import SortKey
from events.models import DeliveryPurpose, DeliveryStatus, EventDelivery, EventRule, EventTarget


def rule_list_for_account(account: Account) -> QuerySet[EventRule]:
    """The account's rules by name, each with `target_count` (one query)."""
    return (
        EventRule.objects.filter(account=account)
        .annotate(target_count=Count("targets"))
        .order_by("name")
    )


def rule_targets(rule: EventRule) -> list[EventTarget]:
    """A rule's targets (one query), each with counts of its deliveries by status (the
    confirmation emails included, as in the delivery log the counts link to) and the status,
    attempts and last error of its latest confirmation email (`confirmation_delivery_status`,
    `_attempts`, `_error` with `_error_phrase`; None without one)."""
    latest_confirmation = EventDelivery.objects.filter(
        target=OuterRef("pk"), purpose=DeliveryPurpose.CONFIRMATION
    ).order_by("-created_at", "-id")[:1]
    return list(
        EventTarget.objects.filter(rule=rule)
        .annotate(
            delivered_count=Count(
                "deliveries", filter=Q(deliveries__status=DeliveryStatus.DELIVERED)
            ),
            failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
            waiting_count=Count(
                "deliveries",
                filter=Q(deliveries__status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
            ),
            confirmation_delivery_status=Subquery(latest_confirmation.values("status")),
            confirmation_delivery_attempts=Subquery(latest_confirmation.values("attempts")),
            confirmation_delivery_error=Subquery(latest_confirmation.values("last_error")),
            confirmation_delivery_error_phrase=Subquery(
                latest_confirmation.values("last_error_phrase")
            ),
        )
        .order_by("created_at", "id")
    )


def rule_target_count(rule: EventRule) -> int:
    """How many targets deleting `rule` removes (one query)."""
    return EventTarget.objects.filter(rule=rule).count()


# A target's delivery log, newest first (the event_delivery_log index).
DELIVERY_ORDER = (SortKey("created_at", descending=True), SortKey("id", descending=True))


def deliveries_of(target: EventTarget) -> QuerySet[EventDelivery]:
    """A target's deliveries with their attempts, to page in `DELIVERY_ORDER` (`core.paging`):
    two queries a page (the page, its attempts) whatever its size."""
    return EventDelivery.objects.filter(target=target).prefetch_related("attempt_log")
