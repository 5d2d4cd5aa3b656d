"""Which service, category and severity a case may have: the account's plan decides."""

from __future__ import annotations

from accounts.models import Account
from catalog import cache as catalog_cache
from catalog.models import CaseType, Category, PlanSeverity, Service, SupportPlan
from core.errors import InvalidParameterValueException

MSG_SERVICE = "Invalid service code: {code}."
MSG_CATEGORY = "Invalid category code {code} for service {service}."
MSG_SERVICE_MISSING = "A service code is required."
MSG_CATEGORY_MISSING = "A category code is required for service {service}."
MSG_SEVERITY = "Invalid severity code: {code}."
MSG_SEVERITY_PLAN = "Severity {code} is not available on the {plan} support plan."
MSG_CASE_TYPE_PLAN = "The {plan} support plan does not include {case_type} cases."


def resolve_catalog(
    *, account: Account, service_code: str, category_code: str, severity_code: str
) -> tuple[Service, Category, PlanSeverity]:
    """The active service and category and the plan's cell for the severity. Raises
    `InvalidParameterValueException` naming the field, for a value the plan does not offer."""
    plan = account.plan
    # Valid requests are answered from the process's catalog snapshot; the lookups below only
    # run to say which value is wrong.
    catalog = catalog_cache.current()
    category = catalog.category_of_service(service_code, category_code)
    if category is not None:
        service = category.service
        _check_case_type(plan, service)
    else:
        service, category = _invalid_service_or_category(plan, service_code, category_code)
    cell = catalog.plan_cell(plan, severity_code)
    if cell is None:
        message = (
            MSG_SEVERITY_PLAN.format(code=severity_code, plan=plan.name)
            if catalog.severity_exists(severity_code)
            else MSG_SEVERITY.format(code=severity_code)
        )
        raise InvalidParameterValueException(message, field="severity_code")
    return service, category, cell


def _check_case_type(plan: SupportPlan, service: Service) -> None:
    if service.case_type not in plan.case_types():
        raise InvalidParameterValueException(
            MSG_CASE_TYPE_PLAN.format(
                plan=plan.name, case_type=CaseType(service.case_type).label.lower()
            ),
            field="case_type",
        )


def _invalid_service_or_category(
    plan: SupportPlan, service_code: str, category_code: str
) -> tuple[Service, Category]:
    """Raise the error for the first invalid one of service, case type and category."""
    if not service_code:
        raise InvalidParameterValueException(MSG_SERVICE_MISSING, field="service_code")
    service = Service.objects.filter(code=service_code, is_active=True).first()
    if service is None:
        raise InvalidParameterValueException(
            MSG_SERVICE.format(code=service_code), field="service_code"
        )
    _check_case_type(plan, service)
    if not category_code:
        raise InvalidParameterValueException(
            MSG_CATEGORY_MISSING.format(service=service_code), field="category_code"
        )
    category = Category.objects.filter(service=service, code=category_code, is_active=True).first()
    if category is None:
        raise InvalidParameterValueException(
            MSG_CATEGORY.format(code=category_code, service=service_code), field="category_code"
        )
    return service, category  # pragma: no cover - the joined lookup would have found them
