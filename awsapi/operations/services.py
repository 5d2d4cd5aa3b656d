"""Catalog operations: services, severities, languages and create-case options."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from awsapi.dispatch import CallContext, operation
from cases import sla
from cases.models import Language
from cases.services.catalog import (
    MSG_CATEGORY,
    MSG_CATEGORY_MISSING,
    MSG_SERVICE,
    MSG_SERVICE_MISSING,
)
from catalog import selectors
from core.errors import InvalidParameterValueException

SUPPORTED_LANGUAGES = [
    {"code": "en", "language": "English", "display": "English"},
    {"code": "ja", "language": "Japanese", "display": "日本語"},
]
ISSUE_TYPES = {"technical", "customer-service"}
# How far ahead DescribeCreateCaseOptions lists the dates without support.
HOLIDAY_HORIZON_DAYS = 90


def _name(obj: Any, language: str) -> str:
    return (obj.name_ja or obj.name) if language == "ja" else obj.name


@operation("DescribeServices", read_only=True)
def describe_services(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    language = body.get("language") or "en"
    codes = body.get("serviceCodeList") or None
    services = []
    for service in selectors.service_list(codes=codes):
        services.append(
            {
                "code": service.code,
                "name": _name(service, language),
                "categories": [
                    {"code": c.code, "name": _name(c, language)} for c in service.active_categories
                ],
            }
        )
    return {"services": services}


@operation("DescribeSeverityLevels", read_only=True)
def describe_severity_levels(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    language = body.get("language") or "en"
    cells = selectors.severity_cells_for_plan(ctx.account.plan)
    return {
        "severityLevels": [
            {"code": cell.severity.code, "name": _name(cell.severity, language)} for cell in cells
        ]
    }


def _check_service_category(issue_type: str, service_code: str, category_code: str) -> None:
    if issue_type not in ISSUE_TYPES:
        raise InvalidParameterValueException(
            f"Invalid issueType {issue_type!r}; use technical or customer-service."
        )
    if selectors.category_for(service_code, category_code) is None:
        if not service_code:
            raise InvalidParameterValueException(MSG_SERVICE_MISSING)
        if not selectors.service_list(codes=[service_code]).exists():
            raise InvalidParameterValueException(MSG_SERVICE.format(code=service_code))
        if not category_code:
            raise InvalidParameterValueException(MSG_CATEGORY_MISSING.format(service=service_code))
        raise InvalidParameterValueException(
            MSG_CATEGORY.format(code=category_code, service=service_code)
        )


@operation("DescribeSupportedLanguages", read_only=True)
def describe_supported_languages(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    _check_service_category(body["issueType"], body["serviceCode"], body["categoryCode"])
    return {"supportedLanguages": SUPPORTED_LANGUAGES}


def _dates_without_support(ctx: CallContext) -> list[dict[str, str]]:
    """Public holidays of the account's country ahead, as whole local days in UTC ISO format."""
    account = ctx.account
    tz = ZoneInfo(account.time_zone)
    today = timezone.now().astimezone(tz).date()
    intervals = []
    for offset in range(HOLIDAY_HORIZON_DAYS):
        day = today + timedelta(days=offset)
        if sla.is_holiday(account.country, day):
            start = datetime(day.year, day.month, day.day, tzinfo=tz)
            end = start + timedelta(days=1)
            intervals.append(
                {
                    "startDateTime": start.astimezone(ZoneInfo("UTC")).strftime(
                        "%Y-%m-%dT%H:%M:%SZ"
                    ),
                    "endDateTime": end.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            )
    return intervals


@operation("DescribeCreateCaseOptions", read_only=True)
def describe_create_case_options(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    _check_service_category(body["issueType"], body["serviceCode"], body["categoryCode"])
    language = body["language"]
    plan = ctx.account.plan
    if plan.business_hours_only:
        start = f"{settings.SUPPORTCENTER_BUSINESS_HOURS_START:02d}:00 AM"
        end_hour = settings.SUPPORTCENTER_BUSINESS_HOURS_END
        hours = [
            {
                "startTime": start,
                "endTime": f"{end_hour - 12 if end_hour > 12 else end_hour:02d}:00 PM",
            }
        ]
        holidays = _dates_without_support(ctx)
    else:
        hours = [{"startTime": "12:00 AM", "endTime": "11:59 PM"}]
        holidays = []
    names = {"web": "web", "chat": "chat", "phone": "call"}
    types = [
        {"type": names[method], "supportedHours": hours, "datesWithoutSupport": holidays}
        for method in plan.contact_methods()
    ]
    availability = "available" if language in Language.values else "unavailable"
    return {"languageAvailability": availability, "communicationTypes": types}
