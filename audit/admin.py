from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = (
        "event_time",
        "event_name",
        "event_source",
        "recipient_account_id",
        "principal_arn",
        "error_code",
    )
    list_filter = ("event_source", "event_type", "read_only")
    search_fields = ("event_name", "principal_arn", "access_key_id", "recipient_account_id")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
