"""Cases in the admin are read-only: case text and status change only through the services."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from cases.models import Attachment, AttachmentSet, Case, CaseEvent, Communication
from core.admin import ReadOnlyAdmin


class CommunicationInline(admin.StackedInline):
    model = Communication
    extra = 0
    fields = ("created_at", "origin", "submitted_by", "body")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    fields = ("created_at", "kind", "actor_arn", "from_status", "to_status", "reason")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = (
        "display_id",
        "subject",
        "account",
        "status",
        "severity",
        "service",
        "first_response_due_at",
        "created_at",
    )
    list_filter = ("status", "severity", "case_type", "language")
    search_fields = ("case_id", "display_id", "subject", "account__account_id")
    list_select_related = ("account", "severity", "service")
    inlines = [CommunicationInline, CaseEventInline]


@admin.register(AttachmentSet)
class AttachmentSetAdmin(ReadOnlyAdmin):
    list_display = ("attachment_set_id", "account", "expires_at", "used_at")


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("file_name", "attachment_set", "size", "content_type")
