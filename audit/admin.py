"""Audit records are evidence: operators read them here and never add, change or delete one
(old records leave only through the retention purge, `audit_events_purge`)."""

from django.contrib import admin

from audit.models import AuditEvent
from core.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
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
