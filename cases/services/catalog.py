"""Which service, category and severity a case may have: the account's plan decides."""

from __future__ import annotations

from accounts.models import Account
from catalog.models import CaseType, Category, PlanSeverity, Service, Severity
from core.errors import InvalidParameterValueException

MSG_SERVICE = "Invalid service code: {code}."
MSG_CATEGORY = "Invalid category code {code} for service {service}."
MSG_SEVERITY = "Invalid severity code: {code}."
MSG_SEVERITY_PLAN = "Severity {code} is not available on the {plan} support plan."
MSG_CASE_TYPE_PLAN = "The {plan} support plan does not include {case_type} cases."


def resolve_catalog(
    *, account: Account, service_code: str, category_code: str, severity_code: str
) -> tuple[Service, Category, PlanSeverity]:
    """The active service and category and the plan's cell for the severity. Raises
    `InvalidParameterValueException` naming the field, for a value the plan does not offer."""
    plan = account.plan
    service = Service.objects.filter(code=service_code, is_active=True).first()
    if service is None:
        raise InvalidParameterValueException(
            MSG_SERVICE.format(code=service_code), field="service_code"
        )
    if service.case_type not in plan.case_types():
        raise InvalidParameterValueException(
            MSG_CASE_TYPE_PLAN.format(
                plan=plan.name, case_type=CaseType(service.case_type).label.lower()
            ),
            field="case_type",
        )
    category = Category.objects.filter(service=service, code=category_code, is_active=True).first()
    if category is None:
        raise InvalidParameterValueException(
            MSG_CATEGORY.format(code=category_code, service=service_code), field="category_code"
        )
    cell = (
        PlanSeverity.objects.select_related("severity")
        .filter(plan=plan, severity__code=severity_code)
        .first()
    )
    if cell is None:
        known = Severity.objects.filter(code=severity_code).exists()
        message = (
            MSG_SEVERITY_PLAN.format(code=severity_code, plan=plan.name)
            if known
            else MSG_SEVERITY.format(code=severity_code)
        )
        raise InvalidParameterValueException(message, field="severity_code")
    return service, category, cell
