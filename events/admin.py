"""Read-only views of event rules and deliveries for operators. Changes go through the console
pages (and so the services, with their audit records); the admin never writes these rows."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from events.models import EventDelivery, EventRule


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
    # The English `last_error` says the same to operators.
    exclude = ("replay_of", "last_error_phrase")
