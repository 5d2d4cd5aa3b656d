"""Canned responses in the admin. Every change is a macros service call with the operator as
actor, so it is audited; the form runs the service's placeholder check first, so an unknown
placeholder shows next to its text before anything is written."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import User
from accounts.principals import Principal
from core.admin import ServiceBackedAdmin, adopt, fresh
from core.errors import SupportApiError
from core.forms import add_service_error
from macros import services
from macros.models import Macro


def _actor(request: HttpRequest) -> Principal:
    # The admin site only serves signed-in staff users.
    return getattr(request, "principal", None) or Principal(user=cast(User, request.user))


class MacroForm(forms.ModelForm):
    class Meta:
        model = Macro
        fields = ("name", "body", "body_ja", "next_status", "is_active", "position")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for field in sorted(services.TEXT_FIELDS):
            try:
                services.macro_text_check(cleaned.get(field) or "", field=field)
            except SupportApiError as error:
                add_service_error(self, error)
        return cleaned


@admin.register(Macro)
class MacroAdmin(ServiceBackedAdmin):
    form = MacroForm
    list_display = ("name", "next_status", "is_active", "position", "updated_at")
    list_filter = ("is_active", "next_status")
    search_fields = ("name", "body", "body_ja")
    ordering = ("position", "name")

    def save_model(self, request: HttpRequest, obj: Macro, form: Any, change: Any) -> None:
        values = {
            name: value
            for name, value in form.cleaned_data.items()
            if name in services.MACRO_FIELDS
        }
        saved = services.macro_save(
            macro=fresh(obj) if change else None, values=values, actor=_actor(request)
        )
        adopt(obj, saved)

    def delete_model(self, request: HttpRequest, obj: Macro) -> None:
        services.macro_delete(macro=obj, actor=_actor(request))

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Macro]) -> None:
        for macro in queryset:
            services.macro_delete(macro=macro, actor=_actor(request))
