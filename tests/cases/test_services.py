"""Case services: creation, validation, correspondence, CC lists, redaction, isolation."""

from __future__ import annotations

import pytest
from django.db import connection

from audit.models import AuditEvent
from cases import access as case_access
from cases import services
from cases.models import Case, CaseEvent, CaseStatus, Communication
from core.errors import (
    AccessDeniedException,
    CaseIdNotFound,
    InvalidCaseTransition,
    InvalidParameterValueException,
)
from core.ids import CASE_ID_RE
from core.redaction import REDACTED
from tests import factories


def test_create_case_writes_case_communication_event_and_audit(business_account, root) -> None:
    assert Case.objects.count() == 0
    case = factories.make_case(
        business_account,
        root,
        cc_email_addresses=["ops@example.com", "OPS@example.com", "dev@example.com"],
        language="ja",
    )
    match = CASE_ID_RE.match(case.case_id)
    assert match and match.group(1) == business_account.account_id
    assert case.status == CaseStatus.UNASSIGNED
    assert case.cc_email_addresses == ["ops@example.com", "dev@example.com"]
    assert case.submitted_by == factories.root_of(business_account).email
    assert case.first_response_due_at is not None
    communication = Communication.objects.get(case=case)
    assert communication.origin == "customer"
    assert CaseEvent.objects.get(case=case).kind == "created"
    record = AuditEvent.objects.get(event_name="CreateCase")
    assert record.response_elements == {"caseId": case.case_id}
    # CloudTrail's CreateCase record leaves out subject, body and CC addresses.
    assert record.request_parameters == {
        "severityCode": "low",
        "categoryCode": "instance-issue",
        "language": "ja",
        "serviceCode": "amazon-elastic-compute-cloud-linux",
        "issueType": "technical",
    }
    assert "ops@example.com" not in str(record.request_parameters)


def test_display_ids_increase(business_account, root) -> None:
    first = factories.make_case(business_account, root)
    second = factories.make_case(business_account, root)
    assert second.display_id == first.display_id + 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"service_code": "nope"}, "service_code", "Invalid service code: nope."),
        ({"category_code": "nope"}, "category_code", "Invalid category code nope"),
        ({"severity_code": "nope"}, "severity_code", "Invalid severity code: nope."),
        ({"severity_code": "critical"}, "severity_code", "not available on the Business"),
        ({"subject": "  "}, "subject", services.MSG_SUBJECT_EMPTY),
        ({"subject": "x" * 251}, "subject", "at most 250"),
        ({"body": ""}, "body", "1 to 8000"),
        ({"body": "x" * 8001}, "body", "1 to 8000"),
        ({"language": "fr"}, "language", "Invalid language: fr"),
        ({"issue_type": "customer-service"}, "issue_type", "Invalid issue type"),
        ({"cc_email_addresses": ["Name <a@example.com>"]}, "cc_email_addresses", "Invalid email"),
        (
            {"cc_email_addresses": ["a@example.com\r\nBcc: x@example.com"]},
            "cc_email_addresses",
            "Invalid email",
        ),
        ({"cc_email_addresses": ["not-an-address"]}, "cc_email_addresses", "Invalid email"),
        (
            {"cc_email_addresses": [f"u{i}@example.com" for i in range(11)]},
            "cc_email_addresses",
            "at most 10",
        ),
        ({"contact_method": "phone"}, "callback_number", services.MSG_CALLBACK_NUMBER),
        (
            {"contact_method": "phone", "callback_number": "+1 206 555 0100"},
            "callback_when",
            services.MSG_CALLBACK_WHEN,
        ),
        ({"contact_method": "fax"}, "contact_method", "Contact method fax"),
    ],
)
def test_create_case_rejects_bad_input_and_writes_nothing(
    business_account, root, overrides, field, message
) -> None:
    with pytest.raises(InvalidParameterValueException) as excinfo:
        factories.make_case(business_account, root, **overrides)
    assert message in excinfo.value.message
    assert excinfo.value.field == field
    assert Case.objects.count() == 0
    assert Communication.objects.count() == 0
    assert not AuditEvent.objects.filter(event_name="CreateCase").exists()


def test_plan_limits_case_types_severities_contact_methods_and_cc(reference_data) -> None:
    basic = factories.make_account("basic")
    with pytest.raises(InvalidParameterValueException, match="does not include technical"):
        factories.make_case(basic)
    # Account and billing cases are open to every plan.
    case = factories.make_case(
        basic, service_code="billing", category_code="charge-inquiry", issue_type="customer-service"
    )
    assert case.case_type == "account-and-billing"
    developer = factories.make_account("developer")
    with pytest.raises(InvalidParameterValueException, match="chat is not available"):
        factories.make_case(developer, contact_method="chat")
    with pytest.raises(InvalidParameterValueException, match="additional contacts"):
        factories.make_case(developer, cc_email_addresses=["a@example.com"])
    with pytest.raises(InvalidParameterValueException, match="not available on the Developer"):
        factories.make_case(developer, severity_code="high")
    enterprise = factories.make_account("enterprise")
    phone = factories.make_case(
        enterprise,
        severity_code="critical",
        contact_method="phone",
        callback_number="+81 3 1234 5678",
        callback_when="in-5-minutes",
    )
    assert (phone.contact_method, phone.callback_when) == ("phone", "in-5-minutes")


def test_case_text_is_redacted_before_storage(business_account, root) -> None:
    case = factories.make_case(
        business_account,
        root,
        subject="Key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY leaked",
        body="Card 4111 1111 1111 1111 was charged",
    )
    case.refresh_from_db()
    assert case.subject == f"Key {REDACTED} leaked"
    communication = Communication.objects.get(case=case)
    assert communication.body == f"Card {REDACTED}-1111 was charged"
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM cases_communication")
        assert "4111 1111" not in cursor.fetchone()[0]


def test_customer_reply_hands_case_back_and_reopens(business_account, root, engineer) -> None:
    case = factories.make_case(business_account, root)
    services.case_support_reply(
        case=case, actor=engineer, body="Which region?", next_status="pending-customer-action"
    )
    assert case.status == "pending-customer-action"
    services.case_add_communication(case=case, actor=root, body="us-east-1")
    case.refresh_from_db()
    assert case.status == CaseStatus.OPENED
    services.case_resolve(case=case, actor=root)
    services.case_add_communication(
        case=case, actor=root, body="It happened again.", cc_email_addresses=["x@example.com"]
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.REOPENED
    assert case.cc_email_addresses == ["x@example.com"]
    assert list(
        CaseEvent.objects.filter(case=case, kind="status-changed").values_list(
            "from_status", "to_status"
        )
    ) == [
        ("unassigned", "pending-customer-action"),
        ("pending-customer-action", "opened"),
        ("opened", "resolved"),
        ("resolved", "reopened"),
    ]
    assert Communication.objects.filter(case=case).count() == 4


def test_cc_list_is_capped_at_ten_in_all(business_account, root) -> None:
    case = factories.make_case(
        business_account, root, cc_email_addresses=[f"u{i}@example.com" for i in range(9)]
    )
    services.case_add_cc(
        case=case, actor=root, cc_email_addresses=["u0@example.com", "new@example.com"]
    )
    assert len(case.cc_email_addresses) == 10
    with pytest.raises(InvalidParameterValueException, match="at most 10"):
        services.case_add_cc(case=case, actor=root, cc_email_addresses=["more@example.com"])
    case.refresh_from_db()
    assert len(case.cc_email_addresses) == 10


def test_only_engineers_reply_as_support(business_account, root) -> None:
    case = factories.make_case(business_account, root)
    with pytest.raises(InvalidParameterValueException, match="Only support engineers"):
        services.case_support_reply(case=case, actor=root, body="hi", next_status="opened")


def test_engineer_reply_cannot_take_an_edge_outside_the_table(
    business_account, root, engineer
) -> None:
    case = factories.make_case(business_account, root)
    services.case_resolve(case=case, actor=root)
    with pytest.raises(InvalidCaseTransition):
        services.case_support_reply(case=case, actor=engineer, body="x", next_status="opened")
    assert Communication.objects.filter(case=case).count() == 1


def test_failed_reply_leaves_nothing_behind(business_account, root, engineer) -> None:
    case = factories.make_case(business_account, root)
    services.case_support_reply(
        case=case, actor=engineer, body="Need logs", next_status="pending-customer-action"
    )
    with pytest.raises(InvalidParameterValueException):
        services.case_add_communication(
            case=case, actor=root, body="here", cc_email_addresses=["bad address"]
        )
    case.refresh_from_db()
    assert case.status == "pending-customer-action"
    assert Communication.objects.filter(case=case).count() == 2


def test_access_isolates_accounts(business_account, other_account, root) -> None:
    mine = factories.make_case(business_account, root)
    theirs = factories.make_case(other_account)
    assert case_access.access_case_by_case_id(root, mine.case_id) == mine
    with pytest.raises(CaseIdNotFound) as not_yours:
        case_access.access_case_by_case_id(root, theirs.case_id)
    with pytest.raises(CaseIdNotFound) as missing:
        case_access.access_case_by_case_id(root, "case-000000000000-abcd-2026-0123456789abcdef")
    # "Not yours" reads exactly like "does not exist", apart from the id itself.
    assert not_yours.value.message.replace(theirs.case_id, "X") == missing.value.message.replace(
        "case-000000000000-abcd-2026-0123456789abcdef", "X"
    )
    with pytest.raises(CaseIdNotFound):
        case_access.access_case_by_display_id(root, theirs.display_id)
    assert list(case_access.cases_for_principal(root)) == [mine]


def test_iam_users_need_a_policy(business_account) -> None:
    case = factories.make_case(business_account)
    allowed = factories.principal(factories.make_iam_user(business_account))
    assert case_access.access_case_by_case_id(allowed, case.case_id) == case
    no_policy = factories.principal(factories.make_iam_user(business_account, policy=None))
    with pytest.raises(AccessDeniedException) as excinfo:
        case_access.access_case_by_case_id(no_policy, case.case_id)
    assert "is not authorized to perform: support:DescribeCases" in excinfo.value.message
    read_only = factories.principal(
        factories.make_iam_user(business_account, policy="SupportCenterReadOnlyAccess")
    )
    assert case_access.access_case_by_case_id(read_only, case.case_id) == case
    with pytest.raises(AccessDeniedException):
        case_access.access_case_by_case_id(read_only, case.case_id, action="support:ResolveCase")


def test_anonymous_sees_nothing(business_account) -> None:
    case = factories.make_case(business_account)
    anonymous = factories.principal(None)  # type: ignore[arg-type]
    with pytest.raises(AccessDeniedException):
        case_access.access_case_by_case_id(anonymous, case.case_id)
    assert not case_access.cases_for_principal(anonymous).exists()


def test_own_address_is_not_an_additional_contact(reference_data) -> None:
    basic = factories.make_account("basic")
    user = factories.make_iam_user(basic, email="me@example.com")
    actor = factories.principal(user)
    case = factories.make_case(
        basic,
        actor,
        service_code="billing",
        category_code="charge-inquiry",
        cc_email_addresses=["me@example.com"],
    )
    assert case.cc_email_addresses == ["me@example.com"]
    with pytest.raises(InvalidParameterValueException, match="additional contacts"):
        factories.make_case(
            basic,
            actor,
            service_code="billing",
            category_code="charge-inquiry",
            cc_email_addresses=["me@example.com", "boss@example.com"],
        )
