"""Cases in the admin are read-only: case text and status change only through the services.
Operators place and release legal holds with the list's actions (through the holds service,
audited)."""

from collections.abc import Callable
from typing import Any, cast

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.principals import Principal
from cases.models import Attachment, AttachmentSet, Case, CaseEvent, Communication
from cases.services import holds
from core.admin import ReadOnlyAdmin
from core.errors import SupportApiError


def _actor(request: HttpRequest) -> Principal:
    # The admin site only serves signed-in staff users (engineers).
    return getattr(request, "principal", None) or Principal(user=cast(User, request.user))


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
        "is_test",
        "legal_hold_at",
        "created_at",
    )
    list_filter = ("status", "severity", "case_type", "language", "is_test", "legal_hold_by")
    search_fields = ("case_id", "display_id", "subject", "account__account_id")
    list_select_related = ("account", "severity", "service")
    inlines = [CommunicationInline, CaseEventInline]
    actions = ["place_legal_hold", "release_legal_hold"]

    @admin.action(description=_("Place a legal hold on the selected cases"))
    def place_legal_hold(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        self._each(
            request, queryset.filter(legal_hold_at__isnull=True), holds.case_legal_hold_place
        )

    @admin.action(description=_("Release the legal hold of the selected cases"))
    def release_legal_hold(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        self._each(
            request, queryset.filter(legal_hold_at__isnull=False), holds.case_legal_hold_release
        )

    def _each(
        self, request: HttpRequest, queryset: QuerySet[Case], act: Callable[..., Case]
    ) -> None:
        """`act` on each selected case that needs it, all or none (one transaction)."""
        actor = _actor(request)
        try:
            with transaction.atomic():
                done = [act(case=case, actor=actor) for case in queryset.select_related("account")]
        except SupportApiError as error:
            self.message_user(request, error.display_message, messages.ERROR)
            return
        changed = ngettext("%(n)d case changed.", "%(n)d cases changed.", len(done))
        self.message_user(request, changed % {"n": len(done)}, messages.SUCCESS)


@admin.register(AttachmentSet)
class AttachmentSetAdmin(ReadOnlyAdmin):
    list_display = ("attachment_set_id", "account", "expires_at", "used_at")


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("file_name", "attachment_set", "size", "content_type")
