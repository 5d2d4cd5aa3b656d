"""Case operations through a real boto3 client: success and failure paths, isolation, audit."""

from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError

from audit.models import AuditEvent
from cases import access as case_access
from cases.models import Case, Communication
from core.redaction import REDACTED

CASE_ID = re.compile(r"^case-\d{12}-[a-z0-9]{4}-\d{4}-[0-9a-f]{16}$")


def create(support, **overrides):
    params = {
        "subject": "Instance unreachable",
        "serviceCode": "amazon-elastic-compute-cloud-linux",
        "categoryCode": "instance-issue",
        "severityCode": "high",
        "communicationBody": "Since 09:00 UTC the instance does not answer.",
    }
    params.update(overrides)
    return support.create_case(**params)["caseId"]


def error_of(excinfo) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def test_a_missing_service_or_category_is_named_in_the_error(support) -> None:
    """serviceCode and categoryCode are optional in the model: leaving one out is refused with a
    message saying which is missing (before, "Invalid category code  for service ...")."""
    params = {
        "subject": "Instance unreachable",
        "severityCode": "high",
        "communicationBody": "Since 09:00 UTC the instance does not answer.",
    }
    service = "amazon-elastic-compute-cloud-linux"
    for extra, message in (
        ({"serviceCode": service}, f"A category code is required for service {service}."),
        ({"categoryCode": "instance-issue"}, "A service code is required."),
        ({}, "A service code is required."),
    ):
        with pytest.raises(ClientError) as excinfo:
            support.create_case(**params, **extra)
        assert error_of(excinfo) == ("InvalidParameterValueException", message)
    with pytest.raises(ClientError) as excinfo:
        support.describe_supported_languages(
            issueType="technical", serviceCode=service, categoryCode=""
        )
    assert error_of(excinfo)[1] == f"A category code is required for service {service}."
    assert not Case.objects.exists()


def test_full_case_lifecycle(support, api_user) -> None:
    case_id = create(support, ccEmailAddresses=["ops@example.com"], language="en")
    assert CASE_ID.match(case_id)
    assert case_id.split("-")[1] == api_user.account.account_id

    described = support.describe_cases(caseIdList=[case_id])
    assert described["ResponseMetadata"]["RequestId"]
    (case,) = described["cases"]
    assert case["caseId"] == case_id
    assert case["status"] == "unassigned"
    assert case["severityCode"] == "high"
    assert case["serviceCode"] == "amazon-elastic-compute-cloud-linux"
    assert case["categoryCode"] == "instance-issue"
    assert case["ccEmailAddresses"] == ["ops@example.com"]
    assert case["language"] == "en"
    assert case["displayId"].isdigit()
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", case["timeCreated"])
    (first,) = case["recentCommunications"]["communications"]
    assert first["body"] == "Since 09:00 UTC the instance does not answer."

    assert (
        support.add_communication_to_case(
            caseId=case_id, communicationBody="More details.", ccEmailAddresses=["dev@example.com"]
        )["result"]
        is True
    )
    communications = support.describe_communications(caseId=case_id)["communications"]
    assert [c["body"] for c in communications] == [
        "More details.",
        "Since 09:00 UTC the instance does not answer.",
    ]
    assert support.describe_cases(caseIdList=[case_id])["cases"][0]["ccEmailAddresses"] == [
        "ops@example.com",
        "dev@example.com",
    ]

    resolved = support.resolve_case(caseId=case_id)
    assert (resolved["initialCaseStatus"], resolved["finalCaseStatus"]) == (
        "unassigned",
        "resolved",
    )
    # Resolving again is a no-op that reports the same state twice.
    again = support.resolve_case(caseId=case_id)
    assert (again["initialCaseStatus"], again["finalCaseStatus"]) == ("resolved", "resolved")
    # Resolved cases are left out unless asked for.
    assert support.describe_cases(caseIdList=[case_id])["cases"] == []
    assert (
        support.describe_cases(caseIdList=[case_id], includeResolvedCases=True)["cases"][0][
            "status"
        ]
        == "resolved"
    )
    # A reply to a resolved case reopens it.
    support.add_communication_to_case(caseId=case_id, communicationBody="It is back.")
    assert Case.objects.get(case_id=case_id).status == "reopened"


def test_create_case_failures_write_nothing(support) -> None:
    cases = [
        (
            {"serviceCode": "no-such-service"},
            "InvalidParameterValueException",
            "Invalid service code",
        ),
        ({"categoryCode": "nope"}, "InvalidParameterValueException", "Invalid category code"),
        ({"severityCode": "critical"}, "InvalidParameterValueException", "not available"),
        ({"issueType": "customer-service"}, "InvalidParameterValueException", "Invalid issue type"),
        ({"language": "fr"}, "InvalidParameterValueException", "Invalid language"),
        (
            {"ccEmailAddresses": ["not an address"]},
            "InvalidParameterValueException",
            "Invalid email",
        ),
        ({"communicationBody": ""}, "ValidationException", "communicationBody"),
        ({"communicationBody": "x" * 8001}, "ValidationException", "8000"),
        (
            {"ccEmailAddresses": [f"u{i}@example.com" for i in range(11)]},
            "ValidationException",
            "10",
        ),
        ({"attachmentSetId": "as-unknown"}, "AttachmentSetIdNotFound", "was not found"),
    ]
    for overrides, code, fragment in cases:
        with pytest.raises(ClientError) as excinfo:
            create(support, **overrides)
        assert error_of(excinfo)[0] == code, overrides
        assert fragment in error_of(excinfo)[1], (overrides, error_of(excinfo))
    assert not Case.objects.exists()
    assert AuditEvent.objects.filter(event_name="CreateCase", error_code__gt="").count() == len(
        cases
    )


def test_customer_service_cases_and_redaction(support) -> None:
    case_id = create(
        support,
        serviceCode="billing",
        categoryCode="charge-inquiry",
        severityCode="low",
        issueType="customer-service",
        subject="Charged twice on card 4111 1111 1111 1111",
        communicationBody="My key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY leaked.",
    )
    case = support.describe_cases(caseIdList=[case_id])["cases"][0]
    assert case["subject"] == f"Charged twice on card {REDACTED}-1111"
    body = case["recentCommunications"]["communications"][0]["body"]
    assert body == f"My key {REDACTED} leaked."


def test_case_ids_of_other_accounts_look_missing(support, other_support) -> None:
    mine = create(support)
    theirs = create(other_support)
    missing = "case-000000000000-abcd-2026-0123456789abcdef"
    for call in (
        lambda cid: support.describe_cases(caseIdList=[cid]),
        lambda cid: support.describe_communications(caseId=cid),
        lambda cid: support.add_communication_to_case(caseId=cid, communicationBody="hi"),
        lambda cid: support.resolve_case(caseId=cid),
    ):
        messages = []
        for case_id in (theirs, missing):
            with pytest.raises(support.exceptions.CaseIdNotFound) as excinfo:
                call(case_id)
            messages.append(error_of(excinfo)[1].replace(case_id, "<id>"))
        assert messages[0] == messages[1]
    assert [c["caseId"] for c in support.describe_cases()["cases"]] == [mine]
    display_id = Case.objects.get(case_id=theirs).display_id
    with pytest.raises(support.exceptions.CaseIdNotFound):
        support.describe_cases(displayId=str(display_id))
    assert Communication.objects.filter(case__case_id=theirs).count() == 1
    assert Case.objects.get(case_id=theirs).status == "unassigned"


def test_describe_cases_filters_and_language(support) -> None:
    english = create(support)
    japanese = create(support, language="ja", subject="インスタンスに接続できません")
    assert [c["caseId"] for c in support.describe_cases()["cases"]] == [english]
    listed = support.describe_cases(language="ja")["cases"]
    assert [c["caseId"] for c in listed] == [japanese]
    assert listed[0]["subject"] == "インスタンスに接続できません"
    display_id = support.describe_cases(caseIdList=[english])["cases"][0]["displayId"]
    assert [c["caseId"] for c in support.describe_cases(displayId=display_id)["cases"]] == [english]
    assert support.describe_cases(afterTime="2999-01-01T00:00:00Z")["cases"] == []
    assert len(support.describe_cases(beforeTime="2999-01-01")["cases"]) == 1
    with pytest.raises(ClientError) as excinfo:
        support.describe_cases(afterTime="yesterday")
    assert error_of(excinfo)[0] == "ValidationException"
    without = support.describe_cases(caseIdList=[english], includeCommunications=False)["cases"][0]
    assert "recentCommunications" not in without


def test_describe_cases_pages_with_tamper_proof_tokens(support, api_user) -> None:
    created = [create(support, subject=f"case {i}") for i in range(12)]
    first = support.describe_cases(maxResults=10)
    assert len(first["cases"]) == 10
    token = first["nextToken"]
    second = support.describe_cases(maxResults=10, nextToken=token)
    assert "nextToken" not in second
    seen = [c["caseId"] for c in first["cases"] + second["cases"]]
    assert seen == list(reversed(created))
    # Altered, or reused with other filters: refused.
    for bad in (token[:-4] + "AAAA", "garbage"):
        with pytest.raises(ClientError) as excinfo:
            support.describe_cases(maxResults=10, nextToken=bad)
        assert error_of(excinfo)[0] == "ValidationException"
    with pytest.raises(ClientError):
        support.describe_cases(maxResults=10, nextToken=token, includeResolvedCases=True)
    # botocore's own paginator follows the tokens.
    paginator = support.get_paginator("describe_cases")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 10}))
    assert sum(len(p["cases"]) for p in pages) == 12


def test_recent_communications_page_into_describe_communications(support) -> None:
    case_id = create(support)
    for i in range(6):
        support.add_communication_to_case(caseId=case_id, communicationBody=f"update {i}")
    recent = support.describe_cases(caseIdList=[case_id])["cases"][0]["recentCommunications"]
    assert [c["body"] for c in recent["communications"]] == [f"update {i}" for i in (5, 4, 3, 2, 1)]
    rest = support.describe_communications(caseId=case_id, nextToken=recent["nextToken"])
    assert [c["body"] for c in rest["communications"]] == [
        "update 0",
        "Since 09:00 UTC the instance does not answer.",
    ]
    page = support.describe_communications(caseId=case_id, maxResults=10)
    assert len(page["communications"]) == 7 and "nextToken" not in page
    with pytest.raises(ClientError) as excinfo:
        support.describe_communications(caseId=case_id, maxResults=5)
    assert error_of(excinfo)[0] == "ValidationException"


def test_engineer_replies_show_up_and_customer_reply_hands_back(support, engineer) -> None:
    from cases.services import case_support_reply

    case_id = create(support)
    case = case_access.access_case_by_case_id(engineer, case_id)
    case_support_reply(
        case=case, actor=engineer, body="Which region?", next_status="pending-customer-action"
    )
    listed = support.describe_cases(caseIdList=[case_id])["cases"][0]
    assert listed["status"] == "pending-customer-action"
    assert listed["recentCommunications"]["communications"][0]["submittedBy"] == engineer.user.email
    support.add_communication_to_case(caseId=case_id, communicationBody="us-east-1")
    assert support.describe_cases(caseIdList=[case_id])["cases"][0]["status"] == "opened"


def test_every_call_is_audited_without_case_text(support, api_user) -> None:
    case_id = create(support, ccEmailAddresses=["secret-cc@example.com"])
    support.describe_cases()
    support.add_communication_to_case(caseId=case_id, communicationBody="private words")
    support.resolve_case(caseId=case_id)
    with pytest.raises(ClientError):
        support.resolve_case(caseId="case-000000000000-abcd-2026-0123456789abcdef")
    records = list(
        AuditEvent.objects.filter(
            recipient_account_id=api_user.account.account_id, access_key_id=api_user.access_key_id
        )
        .order_by("id")
        .values("event_name", "read_only", "error_code", "response_elements", "event_type")
    )
    assert [r["event_name"] for r in records] == [
        "CreateCase",
        "DescribeCases",
        "AddCommunicationToCase",
        "ResolveCase",
        "ResolveCase",
    ]
    assert records[0]["response_elements"] == {"caseId": case_id}
    assert records[1]["read_only"] is True
    assert records[-1]["error_code"] == "CaseIdNotFound"
    assert {r["event_type"] for r in records} == {"AwsApiCall"}
    dump = str(list(AuditEvent.objects.values()))
    for secret in ("Instance unreachable", "secret-cc@example.com", "private words", "09:00 UTC"):
        assert secret not in dump
    record = AuditEvent.objects.filter(event_name="CreateCase").get()
    assert record.user_identity["type"] == "IAMUser"
    assert record.user_identity["accessKeyId"] == api_user.access_key_id
    assert record.user_agent.startswith("Boto3/")
    assert record.request_id


def test_a_reply_reopens_a_resolved_case_only_within_the_reopening_window(support) -> None:
    from datetime import timedelta

    from botocore.exceptions import ClientError
    from django.utils import timezone

    from cases.models import Case

    case_id = support.create_case(
        subject="Window",
        serviceCode="amazon-elastic-compute-cloud-linux",
        categoryCode="instance-issue",
        severityCode="low",
        communicationBody="Opening.",
    )["caseId"]
    support.resolve_case(caseId=case_id)
    Case.objects.filter(case_id=case_id).update(resolved_at=timezone.now() - timedelta(days=15))
    with pytest.raises(ClientError) as caught:
        support.add_communication_to_case(caseId=case_id, communicationBody="Again.")
    assert "can no longer be reopened" in caught.value.response["Error"]["Message"]
    Case.objects.filter(case_id=case_id).update(resolved_at=timezone.now() - timedelta(days=13))
    assert support.add_communication_to_case(caseId=case_id, communicationBody="Again.")["result"]
    assert support.describe_cases(caseIdList=[case_id])["cases"][0]["status"] == "reopened"
