"""Case operations: parse -> access -> service -> shape. No domain logic here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from awsapi import model
from awsapi.dispatch import CallContext, Writes, operation
from awsapi.extensions import CASE_SLA_MEMBERS, EXTENSION_MEMBERS
from cases import access as case_access
from cases import selectors, sla
from cases import services as case_services
from cases.models import Case, Communication
from catalog import cache as catalog_cache
from core.errors import CaseIdNotFound, ValidationException
from core.paging import cursor_from_token, page_token

MSG_CASE_ID_REQUIRED = "A caseId is required."
DEFAULT_PAGE = 100

# The first-response SLA of each case in DescribeCases (`cases.sla.first_response_sla`): our
# extension of AWS's CaseDetails, which AWS's SDKs ignore (docs/API.md).
SLA_DEADLINE, SLA_SECONDS_TO_BREACH, SLA_MET = CASE_SLA_MEMBERS
for _shape, _members in EXTENSION_MEMBERS.items():
    model.declare_extensions(_shape, _members)


def iso(moment: datetime) -> str:
    """AWS's timestamp strings: 2013-08-09T21:21:19.587Z."""
    # isoformat truncates to milliseconds as AWS does, in C (strftime took three times as long).
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def parse_time(value: str | None, member: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = parse_datetime(value.strip())
        if parsed is None:
            day = parse_date(value.strip())
            if day is not None:
                parsed = datetime(day.year, day.month, day.day)
    except ValueError:  # well-formed but impossible, e.g. 30 February
        parsed = None
    if parsed is None:
        raise ValidationException(
            f"Value '{value[:50]}' at '{member}' failed to satisfy constraint: Member must be an "
            "ISO-8601 date or date-time"
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def communication_shape(communication: Communication, case_id: str) -> dict[str, Any]:
    attachments = [
        {"attachmentId": a.attachment_id, "fileName": a.file_name}
        for a in getattr(communication, "attachment_list", [])
    ]
    return {
        "caseId": case_id,
        "body": communication.body,
        "submittedBy": communication.submitted_by,
        "timeCreated": iso(communication.created_at),
        "attachmentSet": attachments,
        "attachments": attachments,
    }


def _communications_scope(ctx: CallContext, case: Case, after: Any, before: Any) -> dict[str, Any]:
    return {
        "op": "DescribeCommunications",
        "account": ctx.account.account_id,
        "case": case.case_id,
        "after": after,
        "before": before,
    }


@operation("CreateCase", idempotent=True, prepared=True)
def create_case(ctx: CallContext, body: dict[str, Any]) -> Writes:
    attachment_set = None
    if body.get("attachmentSetId"):
        attachment_set = case_access.access_attachment_set(
            ctx.principal, body["attachmentSetId"], action="support:CreateCase"
        )
    upload_list = [
        case_access.access_upload(ctx.principal, upload_id, action="support:CreateCase")
        for upload_id in body.get("uploadIds") or []
    ]
    draft = case_services.case_create_prepare(
        actor=ctx.principal,
        account=ctx.account,
        subject=body["subject"],
        service_code=body.get("serviceCode") or "",
        category_code=body.get("categoryCode") or "",
        severity_code=body.get("severityCode") or "low",
        body=body["communicationBody"],
        language=body.get("language") or "en",
        issue_type=body.get("issueType") or "technical",
        cc_email_addresses=body.get("ccEmailAddresses") or [],
        attachment_set=attachment_set,
        uploads=upload_list,
    )
    return lambda: {"caseId": case_services.case_create_commit(draft).case_id}


@operation("DescribeCases", read_only=True)
def describe_cases(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    case_ids = body.get("caseIdList") or None
    display_id = None
    if body.get("displayId") is not None:
        if not str(body["displayId"]).isdigit():
            raise CaseIdNotFound(f"Case with display ID {body['displayId'][:50]} was not found.")
        display_id = int(body["displayId"])
    after = parse_time(body.get("afterTime"), "afterTime")
    before = parse_time(body.get("beforeTime"), "beforeTime")
    include_resolved = bool(body.get("includeResolvedCases", False))
    include_communications = body.get("includeCommunications", True) is not False
    language = body.get("language") or "en"
    limit = body.get("maxResults") or DEFAULT_PAGE
    scope = {
        "op": "DescribeCases",
        "account": ctx.account.account_id,
        "ids": sorted(case_ids or []),
        "display": display_id,
        "after": body.get("afterTime"),
        "before": body.get("beforeTime"),
        "resolved": include_resolved,
        "language": language,
    }
    cursor = cursor_from_token(
        body.get("nextToken"), Case, selectors.CASE_PAGE_ORDER, scope, strict=True
    )
    page = selectors.case_page_for_principal(
        ctx.principal,
        case_ids=case_ids,
        display_id=display_id,
        after=after,
        before=before,
        include_resolved=include_resolved,
        language=language,
        limit=limit,
        cursor=cursor,
    )
    if case_ids and cursor is None:
        # Unknown ids and other accounts' ids answer alike. A resolved case left out only
        # because includeResolvedCases is false is not an error.
        known = selectors.case_ids_known(ctx.principal, case_ids)
        missing = [case_id for case_id in case_ids if case_id not in known]
        if missing:
            raise CaseIdNotFound(case_access.MSG_CASE_NOT_FOUND.format(case_id=missing[0]))
    if display_id is not None and not page.items and cursor is None:
        raise CaseIdNotFound(f"Case with display ID {display_id} was not found.")
    recent = selectors.recent_communications(page.items) if include_communications else {}
    # Codes from the catalog snapshot: the page query joins nothing. Not loaded for no cases.
    catalog = catalog_cache.current() if page.items else catalog_cache.NONE
    now = timezone.now()
    cases = []
    for case in page.items:
        first_response = sla.first_response_sla(case, now)
        details: dict[str, Any] = {
            "caseId": case.case_id,
            "displayId": str(case.display_id),
            "subject": case.subject,
            "status": case.status,
            "serviceCode": catalog.service_codes[case.service_id],
            "categoryCode": catalog.category_codes[case.category_id],
            "severityCode": catalog.severity_codes_by_id[case.severity_id],
            "submittedBy": case.submitted_by,
            "timeCreated": iso(case.created_at),
            "ccEmailAddresses": list(case.cc_email_addresses),
            "language": case.language,
            SLA_DEADLINE: iso(first_response.deadline) if first_response.deadline else None,
            SLA_SECONDS_TO_BREACH: first_response.seconds_to_breach,
            SLA_MET: first_response.met,
        }
        if include_communications:
            items, total = recent.get(case.pk, ([], 0))
            recent_shape: dict[str, Any] = {
                "communications": [communication_shape(c, case.case_id) for c in items]
            }
            if total > len(items) and items:
                recent_shape["nextToken"] = page_token(
                    selectors.communication_cursor_after(items[-1]),
                    _communications_scope(ctx, case, None, None),
                )
            details["recentCommunications"] = recent_shape
        cases.append(details)
    result: dict[str, Any] = {"cases": cases}
    if page.next_cursor is not None:
        result["nextToken"] = page_token(page.next_cursor, scope)
    return result


@operation("DescribeCommunications", read_only=True)
def describe_communications(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    case = case_access.access_case_by_case_id(
        ctx.principal, body["caseId"], action="support:DescribeCommunications"
    )
    after = parse_time(body.get("afterTime"), "afterTime")
    before = parse_time(body.get("beforeTime"), "beforeTime")
    scope = _communications_scope(ctx, case, body.get("afterTime"), body.get("beforeTime"))
    cursor = cursor_from_token(
        body.get("nextToken"), Communication, selectors.COMMUNICATION_ORDER, scope, strict=True
    )
    page = selectors.communication_page(
        case,
        after=after,
        before=before,
        limit=body.get("maxResults") or DEFAULT_PAGE,
        cursor=cursor,
    )
    result: dict[str, Any] = {
        "communications": [communication_shape(c, case.case_id) for c in page.items]
    }
    if page.next_cursor is not None:
        result["nextToken"] = page_token(page.next_cursor, scope)
    return result


@operation("AddCommunicationToCase", idempotent=True)
def add_communication_to_case(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    if not body.get("caseId"):
        raise CaseIdNotFound(MSG_CASE_ID_REQUIRED)
    case = case_access.access_case_by_case_id(
        ctx.principal, body["caseId"], action="support:AddCommunicationToCase"
    )
    attachment_set = None
    if body.get("attachmentSetId"):
        attachment_set = case_access.access_attachment_set(
            ctx.principal, body["attachmentSetId"], action="support:AddCommunicationToCase"
        )
    upload_list = [
        case_access.access_upload(ctx.principal, upload_id, action="support:AddCommunicationToCase")
        for upload_id in body.get("uploadIds") or []
    ]
    case_services.case_add_communication(
        case=case,
        actor=ctx.principal,
        body=body["communicationBody"],
        cc_email_addresses=body.get("ccEmailAddresses") or [],
        attachment_set=attachment_set,
        uploads=upload_list,
    )
    return {"result": True}


@operation("ResolveCase", idempotent=True)
def resolve_case(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    if not body.get("caseId"):
        raise CaseIdNotFound(MSG_CASE_ID_REQUIRED)
    case = case_access.access_case_by_case_id(
        ctx.principal, body["caseId"], action="support:ResolveCase"
    )
    old, new = case_services.case_resolve(case=case, actor=ctx.principal)
    return {"initialCaseStatus": old, "finalCaseStatus": new}
