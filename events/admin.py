"""Read-only views of event rules and deliveries for operators. Changes go through the console
pages (and so the services, with their audit records); the admin never writes these rows."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from events.models import EventDelivery, EventRule


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EventRule)
class EventRuleAdmin(ReadOnlyAdmin):
    list_display = ("name", "account", "enabled", "created_at")
    list_filter = ("enabled",)
    list_select_related = ("account",)
    search_fields = ("name", "account__account_id")
    exclude = ("created_by",)


@admin.register(EventDelivery)
class EventDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "delivery_id",
        "detail_type",
        "purpose",
        "target",
        "status",
        "attempts",
        "created_at",
    )
    list_filter = ("status", "purpose", "detail_type")
    list_select_related = ("target", "target__rule")
    search_fields = ("delivery_id", "event_id", "target__rule__account__account_id")
    exclude = ("replay_of",)
