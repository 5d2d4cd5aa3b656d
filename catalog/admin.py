from django.contrib import admin

from catalog.models import Category, PlanSeverity, Service, Severity, SupportPlan


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0
    fields = ("code", "name", "name_ja", "extra_field_label", "is_active")


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "case_type", "is_active")
    list_filter = ("case_type", "is_active")
    search_fields = ("name", "code")
    inlines = [CategoryInline]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "service", "is_active")
    list_filter = ("service__case_type", "is_active")
    search_fields = ("name", "code", "service__code")


class PlanSeverityInline(admin.TabularInline):
    """The plan x severity matrix: one row per severity offered, with its first-response target."""

    model = PlanSeverity
    extra = 0
    fields = ("severity", "response_minutes")
    ordering = ("severity__level",)


@admin.register(SupportPlan)
class SupportPlanAdmin(admin.ModelAdmin):
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
        (None, {"fields": ("code", "name", "position")}),
        (
            "Case types",
            {
                "fields": (
                    "allows_account_and_billing",
                    "allows_service_limit_increase",
                    "allows_technical",
                )
            },
        ),
        ("Contact methods", {"fields": ("allows_web", "allows_chat", "allows_phone")}),
        (
            "Features",
            {"fields": ("allows_cc", "api_access", "full_trusted_advisor", "business_hours_only")},
        ),
    )


@admin.register(Severity)
class SeverityAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "level")
    ordering = ("level",)


@admin.register(PlanSeverity)
class PlanSeverityAdmin(admin.ModelAdmin):
    list_display = ("plan", "severity", "response_minutes")
    list_editable = ("response_minutes",)
    list_filter = ("plan", "severity")
    ordering = ("plan__position", "severity__level")
