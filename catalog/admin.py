"""Reference data in the admin. Every change is a catalog service call with the operator as
actor: validated as the models validate, and audited (the plans, the plan x severity matrix,
severities, services and categories decide what every customer may do).

Reference rows are never deleted here: accounts and cases keep pointing at them (services and
categories are retired with their active flag instead). A plan's severities are the exception:
removing one from the matrix only stops offering it to new cases.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from audit.actors import Actor
from catalog import services
from catalog.models import Category, PlanSeverity, Service, Severity, SupportPlan
from core import safejson
from core.admin import ServiceBackedAdmin, adopt, fresh
from core.errors import SupportApiError

MSG_NO_PRINCIPAL = "The admin needs accounts.middleware.PrincipalMiddleware to know who acts."


def _actor(request: HttpRequest) -> Actor:
    # The principal is set by the accounts app's middleware, above this app in the layers.
    principal = getattr(request, "principal", None)
    if principal is None:
        raise ImproperlyConfigured(MSG_NO_PRINCIPAL)
    return cast(Actor, principal)


def _values(form: Any, fields: frozenset[str]) -> dict[str, Any]:
    """The form's values for the fields a service accepts (read-only fields are not on the
    form; an inline's id, parent and delete box are not the service's)."""
    return {name: value for name, value in form.cleaned_data.items() if name in fields}


class NoDeleteAdmin(ServiceBackedAdmin):
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0
    fields = ("code", "name", "name_ja", "extra_field_label", "extra_field_label_ja", "is_active")
    can_delete = False


@admin.register(Service)
class ServiceAdmin(NoDeleteAdmin):
    list_display = ("name", "code", "case_type", "is_security", "is_active")
    list_filter = ("case_type", "is_security", "is_active")
    search_fields = ("name", "code")
    inlines = [CategoryInline]

    def save_model(self, request: HttpRequest, obj: Service, form: Any, change: Any) -> None:
        saved = services.service_save(
            service=fresh(obj) if change else None,
            values=_values(form, services.SERVICE_FIELDS),
            actor=_actor(request),
        )
        adopt(obj, saved)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: Any) -> None:
        for category_form in formset.forms:
            if not category_form.has_changed():
                continue
            instance = category_form.instance
            saved = services.category_save(
                category=fresh(instance) if instance.pk is not None else None,
                values={
                    **_values(category_form, services.CATEGORY_FIELDS - {"service"}),
                    "service": form.instance,
                },
                actor=_actor(request),
            )
            adopt(instance, saved)


class CategoryForm(forms.ModelForm):
    # Parsed strictly (no NaN or lone surrogates, which no page could show) and checked as the
    # service checks, so refused links are an error beside the field, the text kept.
    help_links = forms.JSONField(
        required=False,
        initial=list,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        decoder=safejson.StrictDecoder,
        label=_("Help links"),
        help_text=_(
            'A list of {"title": ..., "url": ...}. Add "title_ja" to a link to show readers of '
            "the Japanese pages its title in Japanese."
        ),
    )

    class Meta:
        model = Category
        fields = services.CATEGORY_FIELD_ORDER

    def clean_help_links(self) -> Any:
        links = self.cleaned_data["help_links"]
        links = [] if links is None else links
        try:
            services.check_help_links(links)
        except SupportApiError as error:
            raise forms.ValidationError(error.display_message) from None
        return links


@admin.register(Category)
class CategoryAdmin(NoDeleteAdmin):
    form = CategoryForm
    list_display = ("name", "code", "service", "is_active")
    list_filter = ("service__case_type", "is_active")
    search_fields = ("name", "code", "service__code")

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: Any) -> None:
        saved = services.category_save(
            category=fresh(obj) if change else None,
            values=_values(form, services.CATEGORY_FIELDS),
            actor=_actor(request),
        )
        adopt(obj, saved)


class PlanSeverityInline(admin.TabularInline):
    """The plan x severity matrix: one row per severity offered, with its first-response and
    next-reply targets."""

    model = PlanSeverity
    extra = 0
    fields = ("severity", "response_minutes", "next_reply_minutes")
    ordering = ("severity__level",)


@admin.register(SupportPlan)
class SupportPlanAdmin(NoDeleteAdmin):
    list_display = (
        "name",
        "code",
        "allows_technical",
        "allows_chat",
        "allows_phone",
        "allows_cc",
        "api_access",
        "full_trusted_advisor",
        "business_hours_only",
    )
    inlines = [PlanSeverityInline]
    fieldsets = (
        (None, {"fields": ("code", "name", "name_ja", "position")}),
        (
            _("Case types"),
            {
                "fields": (
                    "allows_account_and_billing",
                    "allows_service_limit_increase",
                    "allows_technical",
                )
            },
        ),
        (_("Contact methods"), {"fields": ("allows_web", "allows_chat", "allows_phone")}),
        (
            _("Features"),
            {"fields": ("allows_cc", "api_access", "full_trusted_advisor", "business_hours_only")},
        ),
    )

    def save_model(self, request: HttpRequest, obj: SupportPlan, form: Any, change: Any) -> None:
        saved = services.support_plan_save(
            plan=fresh(obj) if change else None,
            values=_values(form, services.PLAN_FIELDS),
            actor=_actor(request),
        )
        adopt(obj, saved)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: Any) -> None:
        plan, actor = form.instance, _actor(request)
        deleted = [cell_form for cell_form in formset.deleted_forms if cell_form.instance.pk]
        changed = [
            cell_form
            for cell_form in formset.forms
            if cell_form.has_changed() and cell_form not in formset.deleted_forms
        ]
        # Every severity that leaves the plan goes before any arrives, so that two rows
        # swapping their severities do not remove the cell the other has just set.
        moved = [f for f in changed if f.instance.pk and "severity" in f.changed_data]
        for cell_form in [*deleted, *moved]:
            old = fresh(cell_form.instance)
            services.plan_severity_remove(plan=plan, severity=old.severity, actor=actor)
        for cell_form in changed:
            cell = services.plan_severity_set(
                plan=plan,
                severity=cell_form.cleaned_data["severity"],
                response_minutes=cell_form.cleaned_data["response_minutes"],
                next_reply_minutes=cell_form.cleaned_data["next_reply_minutes"],
                actor=actor,
            )
            adopt(cell_form.instance, cell)


@admin.register(Severity)
class SeverityAdmin(NoDeleteAdmin):
    list_display = ("name", "code", "level", "sla_warning_percent")
    ordering = ("level",)

    def save_model(self, request: HttpRequest, obj: Severity, form: Any, change: Any) -> None:
        saved = services.severity_save(
            severity=fresh(obj) if change else None,
            values=_values(form, services.SEVERITY_FIELDS),
            actor=_actor(request),
        )
        adopt(obj, saved)


@admin.register(PlanSeverity)
class PlanSeverityAdmin(ServiceBackedAdmin):
    list_display = ("plan", "severity", "response_minutes", "next_reply_minutes")
    # The changelist's inline editing saves each changed row through save_model below.
    list_editable = ("response_minutes", "next_reply_minutes")
    list_filter = ("plan", "severity")
    ordering = ("plan__position", "severity__level")

    def get_readonly_fields(
        self, request: HttpRequest, obj: PlanSeverity | None = None
    ) -> tuple[str, ...]:
        # A cell is its plan and severity; another pair is another cell (add it instead).
        return ("plan", "severity") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: PlanSeverity, form: Any, change: Any) -> None:
        cell = fresh(obj) if change else obj
        saved = services.plan_severity_set(
            plan=cell.plan,
            severity=cell.severity,
            response_minutes=form.cleaned_data["response_minutes"],
            next_reply_minutes=form.cleaned_data["next_reply_minutes"],
            actor=_actor(request),
        )
        adopt(obj, saved)

    def delete_model(self, request: HttpRequest, obj: PlanSeverity) -> None:
        services.plan_severity_remove(plan=obj.plan, severity=obj.severity, actor=_actor(request))

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[PlanSeverity]) -> None:
        for cell in queryset.select_related("plan", "severity"):
            services.plan_severity_remove(
                plan=cell.plan, severity=cell.severity, actor=_actor(request)
            )
