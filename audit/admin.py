"""Audit records are evidence: operators read them here and never add, change or delete one
(old records leave only through the retention purge, `audit_events_purge`)."""

import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from audit.selectors import to_cloudtrail
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
    # The JSON columns are shown through the CloudTrail record, sanitized: a stored record may
    # hold what no page can encode (a lone surrogate), and Django's own rendering of a JSON
    # field would fail the whole page.
    exclude = ("user_identity", "request_parameters", "response_elements", "resources")
    readonly_fields = ("cloudtrail_record",)

    @admin.display(description=_("CloudTrail record"))
    def cloudtrail_record(self, event: AuditEvent) -> SafeString:
        record = json.dumps(to_cloudtrail(event), indent=2, ensure_ascii=False)
        return format_html("<pre>{}</pre>", record)
