"""Event history: CloudTrail's record format, one-attribute lookup, paging, downloads, access."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.selectors import to_cloudtrail
from cases import services
from cloudtrail import services as trails
from cloudtrail.tasks import trails_deliver_task
from core import safejson
from tests import factories
from tests.admin_pages import change_url, make_operator

REQUIRED = {
    "eventVersion",
    "userIdentity",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "requestParameters",
    "responseElements",
    "requestID",
    "eventID",
    "eventType",
    "readOnly",
    "recipientAccountId",
}


@pytest.fixture
def root_client(client, business_account):
    client.force_login(factories.root_of(business_account))
    return client


def test_records_have_cloudtrail_fields_and_no_case_text(root_client, business_account) -> None:
    page = root_client.post(
        reverse("cases:create"),
        {
            "case_type": "technical",
            "service": "amazon-elastic-compute-cloud-linux",
            "category": "instance-issue",
            "severity": "high",
            "subject": "Top secret subject",
            "description": "Private body text",
            "cc": "cc-person@example.com",
            "language": "en",
            "contact_method": "web",
            "callback_number": "",
            "callback_when": "",
            "extra_field_value": "",
        },
    )
    assert page.status_code == 302
    record = to_cloudtrail(AuditEvent.objects.get(event_name="CreateCase"))
    assert REQUIRED <= set(record)
    assert record["userIdentity"]["type"] == "Root"
    assert record["eventType"] == "AwsConsoleAction"
    assert record["recipientAccountId"] == business_account.account_id
    assert record["eventTime"].endswith("Z")
    assert record["resources"][0]["type"] == "AWS::Support::Case"
    dump = json.dumps([to_cloudtrail(e) for e in AuditEvent.objects.all()])
    for secret in ("Top secret subject", "Private body text", "cc-person@example.com"):
        assert secret not in dump


def test_failed_console_actions_are_recorded(root_client, settings) -> None:
    """A refusal only the service can make (here the hourly case limit) is a refused call and
    is recorded; a mistake the form shows beside its field (a bad CC address) is not a call, as
    AWS's console checks its fields before it calls CreateCase."""
    form = {
        "case_type": "technical",
        "service": "amazon-elastic-compute-cloud-linux",
        "category": "instance-issue",
        "severity": "high",
        "subject": "s",
        "description": "d",
        "cc": "bad address",
        "language": "en",
        "contact_method": "web",
    }
    refused = root_client.post(reverse("cases:create"), form)
    assert refused.context["form"].errors["cc"]
    assert not AuditEvent.objects.filter(event_name="CreateCase").exists()
    settings.SUPPORTCENTER_CASE_CREATION_LIMIT = 1
    form["cc"] = ""
    assert root_client.post(reverse("cases:create"), form).status_code == 302
    root_client.post(reverse("cases:create"), form)
    failure = AuditEvent.objects.get(event_name="CreateCase", error_code__gt="")
    assert failure.error_code == "CaseCreationLimitExceeded"


def test_lookup_one_attribute_and_time_range(root_client, business_account, root) -> None:
    case = factories.make_case(business_account, root)
    services.case_resolve(case=case, actor=root)
    iam = factories.make_iam_user(business_account, user_name="auditor")
    services.case_add_communication(case=case, actor=factories.principal(iam), body="hello")
    page = root_client.get(
        reverse("cloudtrail:history"), {"attribute": "EventName", "value": "ResolveCase"}
    )
    assert b"ResolveCase" in page.content and b"CreateCase" not in page.content
    by_user = root_client.get(
        reverse("cloudtrail:history"), {"attribute": "Username", "value": "auditor"}
    )
    assert b"AddCommunicationToCase" in by_user.content and b"ResolveCase" not in by_user.content
    by_resource = root_client.get(
        reverse("cloudtrail:history"),
        {"attribute": "ResourceName", "value": case.case_id},
        HTTP_HX_REQUEST="true",
    )
    assert b"CreateCase" in by_resource.content and b"<html" not in by_resource.content
    future = root_client.get(reverse("cloudtrail:history"), {"start": "2999-01-01T00:00"})
    assert b"No events match." in future.content
    # A bad time keeps the attribute filter and says what was wrong beside its field.
    typo = root_client.get(
        reverse("cloudtrail:history"),
        {"attribute": "EventName", "value": "ResolveCase", "start": "yesterday-ish"},
    ).content.decode()
    assert "ResolveCase" in typo and "CreateCase" not in typo
    assert re.search(r'id="id_start-errors">\s*<p class="error"', typo)
    # A range that ends before it starts is refused beside "Until" and only "From" applies.
    backwards = root_client.get(
        reverse("cloudtrail:history"),
        {"start": "2000-01-02T00:00", "end": "2000-01-01T00:00"},
    ).content.decode()
    assert "ResolveCase" in backwards and "No events match." not in backwards
    assert re.search(r'id="id_end-errors">\s*<p class="error"[^>]*>Choose a time on', backwards)
    event = AuditEvent.objects.filter(event_name="ResolveCase").first()
    detail = root_client.get(reverse("cloudtrail:event", args=[event.event_id]))
    assert b"&quot;eventName&quot;: &quot;ResolveCase&quot;" in detail.content


def test_history_is_per_account_and_needs_permission(
    client, business_account, other_account
) -> None:
    theirs = factories.make_case(other_account)
    event = AuditEvent.objects.filter(recipient_account_id=other_account.account_id).first()
    client.force_login(factories.root_of(business_account))
    assert theirs.case_id.encode() not in client.get(reverse("cloudtrail:history")).content
    assert client.get(reverse("cloudtrail:event", args=[event.event_id])).status_code == 404
    client.force_login(factories.make_iam_user(business_account))  # AWSSupportAccess only
    assert client.get(reverse("cloudtrail:history")).status_code == 403


def test_downloads_and_the_ninety_day_window(root_client, business_account, root) -> None:
    with time_machine.travel(timezone.now() - timedelta(days=100)):
        factories.make_case(business_account, root, subject="ancient")
    factories.make_case(business_account, root)
    data = json.loads(root_client.get(reverse("cloudtrail:download", args=["json"])).content)
    names = [r["eventName"] for r in data["Records"]]
    assert names.count("CreateCase") == 1  # the 100-day-old one is outside the window
    response = root_client.get(reverse("cloudtrail:download", args=["csv"]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "eventTime" and len(rows) == len(data["Records"]) + 1
    assert root_client.get(reverse("cloudtrail:download", args=["xml"])).status_code == 404


def test_csv_download_neutralises_formulas_and_keeps_ids(root_client, business_account) -> None:
    """Names customers choose are text (a formula becomes text); our ids are written exactly."""
    event = AuditEvent.objects.create(
        event_time=timezone.now(),
        event_source="iam.amazonaws.com",
        event_name="CreateUser",
        event_type="AwsApiCall",
        aws_region="us-east-1",
        recipient_account_id=business_account.account_id,
        user_name='=HYPERLINK("http://evil","x")',
        access_key_id="ASCKAAAAAAAAAAAAAAAA",
        resource_name="@SUM(A1)",
        source_ip="-1+cmd",
    )
    response = root_client.get(reverse("cloudtrail:download", args=["csv"]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="event-history.csv"'
    assert response["Cache-Control"] == "private, no-store"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["userName"] == '\'=HYPERLINK("http://evil","x")'
    assert row["resourceName"] == "'@SUM(A1)"
    assert row["sourceIPAddress"] == "'-1+cmd"
    assert row["accessKeyId"] == "ASCKAAAAAAAAAAAAAAAA"
    assert row["eventID"] == str(event.event_id)


@pytest.mark.parametrize("count", [10, 120])
def test_history_query_count_is_constant(
    root_client, business_account, count, django_assert_num_queries
) -> None:
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                event_time=now - timedelta(seconds=i),
                event_source="support.amazonaws.com",
                event_name="DescribeCases",
                event_type="AwsApiCall",
                aws_region="us-east-1",
                recipient_account_id=business_account.account_id,
                read_only=True,
            )
            for i in range(count)
        ]
    )
    # 1 session; 2 user with account and plan; 3 one page of records (keyset).
    with django_assert_num_queries(3):
        response = root_client.get(reverse("cloudtrail:history"))
    assert response.status_code == 200
    if count > 50:
        assert b"Older events" in response.content


def _odd_records(account) -> list[AuditEvent]:
    """Records no code of ours writes, inserted directly: lone surrogates, wrong shapes, and
    nesting deeper than Python's parser goes (SQLite's json_valid accepts 2,000 levels)."""
    base = {
        "event_time": timezone.now(),
        "event_source": "support.amazonaws.com",
        "event_type": "AwsApiCall",
        "aws_region": "us-east-1",
        "recipient_account_id": account.account_id,
    }
    # PostgreSQL refuses lone surrogates in JSON outright, so there no record can hold one:
    # it gets what the pages would show instead.
    odd_text = safejson.sanitize if connection.vendor == "postgresql" else (lambda value: value)
    odd = [
        AuditEvent.objects.create(
            **base,
            event_name="DescribeServices",
            request_parameters=odd_text({"language": "\ud800", "\udfff": ["x\udc00y"]}),
            response_elements=odd_text({"nested": {"deeper": "\ud83d"}}),
            user_identity=odd_text({"type": "IAMUser", "userName": "\ud800"}),
        ),
        AuditEvent.objects.create(
            **base,
            event_name="WrongShapes",
            user_identity=["not", "an", "object"],
            resources=odd_text(["not-a-dict", 3, {"ResourceType": "\ud800", "ResourceName": None}]),
            request_parameters=["a", "list"],
        ),
        AuditEvent.objects.create(**base, event_name="DictResources", resources={"a": "b"}),
        AuditEvent.objects.create(**base, event_name="TooDeep"),
    ]
    deep = "[" * 1500 + "]" * 1500
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE audit_auditevent SET request_parameters = %s{cast}, "
            f"response_elements = %s{cast} WHERE id = %s",
            [deep, '{"a": ' + deep + "}", odd[-1].pk],
        )
    return odd


def test_odd_records_never_break_pages_downloads_or_trails(
    root_client, business_account, root, settings, tmp_path
) -> None:
    odd = _odd_records(business_account)
    history = root_client.get(reverse("cloudtrail:history"))
    assert history.status_code == 200
    for event in odd:
        detail = root_client.get(reverse("cloudtrail:event", args=[event.event_id]))
        assert detail.status_code == 200
        detail.content.decode("utf-8")
    response = root_client.get(reverse("cloudtrail:download", args=["json"]))
    assert response.status_code == 200
    data = json.loads(response.content.decode("utf-8"))
    by_name = {r["eventName"]: r for r in data["Records"]}
    assert by_name["DescribeServices"]["requestParameters"] == {
        "language": "\ufffd",
        "\ufffd": ["x\ufffdy"],
    }
    assert by_name["DescribeServices"]["userIdentity"]["userName"] == "\ufffd"
    assert by_name["WrongShapes"]["resources"] == [{"type": "\ufffd", "ARN": None}]
    assert by_name["WrongShapes"]["userIdentity"] == ["not", "an", "object"]
    assert "resources" not in by_name["DictResources"]
    assert by_name["TooDeep"]["requestParameters"] == safejson.TOO_DEEP
    assert by_name["TooDeep"]["responseElements"] == safejson.TOO_DEEP
    # Valid JSON for any strict parser: no lone surrogate escapes either.
    assert "\\ud8" not in response.content.decode() and "\\udf" not in response.content.decode()
    csv_response = root_client.get(reverse("cloudtrail:download", args=["csv"]))
    rows = list(csv.reader(io.StringIO(b"".join(csv_response.streaming_content).decode())))
    assert len(rows) == len(data["Records"]) + 1
    # A trail delivers them too.
    settings.DATA_DIR = tmp_path
    trails.trail_create(account=business_account, name="odd", destination="local", actor=root)
    assert trails_deliver_task() == len(data["Records"]) + 1  # and CreateTrail's record


def test_operators_read_odd_records_in_the_admin(client, business_account) -> None:
    odd = _odd_records(business_account)
    client.force_login(make_operator())
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    for event in odd:
        page = client.get(change_url(event))
        assert page.status_code == 200
        page.content.decode("utf-8")


def test_the_time_range_is_in_utc_whatever_the_accounts_zone(client, reference_data) -> None:
    """The page shows times in the account's zone, but the From and Until inputs say they take
    UTC and are read so: at the boundary, an event at 00:00 UTC is inside "until 00:00" and
    outside "from 00:01", although 00:00 UTC is 09:00 in Tokyo."""
    account = factories.make_account(time_zone="Asia/Tokyo")
    at = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    with time_machine.travel(at, tick=False):
        factories.make_case(account)
    client.force_login(factories.root_of(account))
    url = reverse("cloudtrail:history")

    def shown(**window: str) -> bool:
        with time_machine.travel(at + timedelta(days=1), tick=False):
            page = client.get(url, window).content.decode()
        return "2026-03-01 09:00:00 JST" in page

    page = client.get(url).content.decode()
    assert '<label for="id_start">From (UTC)</label>' in page
    assert '<label for="id_end">Until (UTC)</label>' in page
    assert shown(start="2026-03-01T00:00", end="2026-03-01T00:00")
    assert not shown(start="2026-03-01T00:01")
    assert not shown(end="2026-02-28T23:59")  # the day before, in UTC
    # Typed again, the inputs keep the UTC values they were given.
    with time_machine.travel(at + timedelta(days=1), tick=False):
        again = client.get(url, {"start": "2026-03-01T00:00"}).content.decode()
    assert 'value="2026-03-01T00:00"' in again
