"""Reads for the service catalog, severities and plans."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet

from catalog.models import Category, PlanSeverity, Service, Severity, SupportPlan, localized

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    class _ActiveCategories(TypedDict):
        active_categories: list[Category]

    ServiceWithCategories = WithAnnotations[Service, _ActiveCategories]


def service_list(
    *, codes: list[str] | None = None, case_types: list[str] | None = None
) -> QuerySet[ServiceWithCategories]:
    """Active services with their active categories prefetched (two queries in all)."""
    queryset = Service.objects.filter(is_active=True).prefetch_related(
        Prefetch(
            "categories",
            queryset=Category.objects.filter(is_active=True).order_by("name"),
            to_attr="active_categories",
        )
    )
    if codes is not None:
        queryset = queryset.filter(code__in=codes)
    if case_types is not None:
        queryset = queryset.filter(case_type__in=case_types)
    return queryset.order_by("name")


def severity_cells_for_plan(plan: SupportPlan) -> QuerySet[PlanSeverity]:
    """The plan's severities with their first-response targets, lowest severity first."""
    return (
        PlanSeverity.objects.filter(plan=plan)
        .select_related("severity")
        .order_by("severity__level")
    )


def category_for(service_code: str, category_code: str) -> Category | None:
    """The active category of an active service, or None when either is unknown."""
    return (
        Category.objects.select_related("service")
        .filter(
            service__code=service_code,
            service__is_active=True,
            code=category_code,
            is_active=True,
        )
        .first()
    )


def plan_choices() -> list[tuple[str, str]]:
    """(code, name in the active language) of every support plan, in their order."""
    rows = SupportPlan.objects.order_by("position", "code").values_list("code", "name", "name_ja")
    return [(code, localized(name, name_ja)) for code, name, name_ja in rows]


def severity_choices() -> list[tuple[str, str]]:
    """(code, name in the active language) of every severity, lowest first."""
    rows = Severity.objects.order_by("level").values_list("code", "name", "name_ja")
    return [(code, localized(name, name_ja)) for code, name, name_ja in rows]


def service_choices() -> list[tuple[str, str]]:
    """(code, name in the active language) of every active service, by name."""
    rows = (
        Service.objects.filter(is_active=True)
        .order_by("name")
        .values_list("code", "name", "name_ja")
    )
    return [(code, localized(name, name_ja)) for code, name, name_ja in rows]


def plan_get(code: str) -> SupportPlan:
    return SupportPlan.objects.get(code=code)


def plans_compared() -> list[SupportPlan]:
    """Every plan with its severity cells (severity loaded, lowest first) as `cells`: two
    queries, for the side-by-side comparison."""
    plans = list(SupportPlan.objects.order_by("position", "code"))
    cells: dict[int, list[PlanSeverity]] = {plan.pk: [] for plan in plans}
    for cell in PlanSeverity.objects.select_related("severity").order_by("severity__level"):
        cells.setdefault(cell.plan_id, []).append(cell)
    for plan in plans:
        plan.cells = cells[plan.pk]  # type: ignore[attr-defined]
    return plans


def plan_names_with_full_trusted_advisor() -> list[str]:
    """The names (in the active language) of the plans that include every Trusted Advisor
    check, in their order: one query."""
    rows = (
        SupportPlan.objects.filter(full_trusted_advisor=True)
        .order_by("position", "code")
        .values_list("name", "name_ja")
    )
    return [localized(name, name_ja) for name, name_ja in rows]
