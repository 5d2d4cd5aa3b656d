"""CloudTrail's LookupEvents through a real boto3 `cloudtrail` client (wired to Django's test
client): the records /cloudtrail/ lists, every lookup attribute, time ranges, paging in the
database, CloudTrail's errors, IAM, tenant isolation, and the call's own record."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from botocore.exceptions import ClientError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from audit.names import CLOUDTRAIL_SOURCE, IAM_SOURCE, SUPPORT_SOURCE
from tests import factories
from tests.awsapi.conftest import (
    READER_POLICY,
    code_of,
    make_api_user,
    raw_lookup,
    record_call,
    seed_calls,
)


def _ids(events) -> list[str]:
    return [event["EventId"] for event in events]


def test_events_carry_cloudtrail_members_and_the_record(support, trail, api_user) -> None:
    case_id = support.create_case(
        subject="Disk full",
        communicationBody="Help",
        serviceCode="amazon-elastic-compute-cloud-linux",
        categoryCode="instance-issue",
        severityCode="low",
    )["caseId"]
    events = trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateCase"}]
    )["Events"]
    [event] = events
    stored = AuditEvent.objects.get(
        event_name="CreateCase", recipient_account_id=api_user.account.account_id
    )
    assert event["EventId"] == str(stored.event_id)
    assert event["EventName"] == "CreateCase"
    assert event["ReadOnly"] == "false"
    assert event["AccessKeyId"] == api_user.access_key_id
    assert event["EventSource"] == SUPPORT_SOURCE
    assert event["Username"] == stored.user_name and event["Username"]
    # botocore parsed the epoch seconds into an aware datetime.
    assert abs(event["EventTime"] - stored.event_time) < timedelta(milliseconds=1)
    assert event["Resources"] == [{"ResourceType": "AWS::Support::Case", "ResourceName": case_id}]
    record = json.loads(event["CloudTrailEvent"])
    assert record["eventID"] == event["EventId"]
    assert record["eventName"] == "CreateCase"
    assert record["recipientAccountId"] == api_user.account.account_id
    assert record["userIdentity"]["accessKeyId"] == api_user.access_key_id
    # No case text in the trail.
    assert "Disk full" not in event["CloudTrailEvent"] and "Help" not in event["CloudTrailEvent"]


def test_every_lookup_attribute(trail, api_user) -> None:
    account = api_user.account
    iam_user = factories.make_iam_user(account, user_name="alice")
    read = record_call(account, name="DescribeCases", read_only=True, key="ASCKREAD")
    write = record_call(
        account,
        user=iam_user,
        name="ResolveCase",
        request_parameters={"caseId": "case-123"},
        key="ASCKWRITE",
    )
    iam = record_call(
        account,
        name="CreateUser",
        event_source=IAM_SOURCE,
        request_parameters={"userName": "bob"},
    )
    table = {
        ("EventId", str(write.event_id)): [write],
        ("EventId", "not-a-uuid"): [],
        ("EventName", "ResolveCase"): [write],
        ("ReadOnly", "true"): [read],
        ("ReadOnly", "FALSE"): [iam, write],
        ("Username", "alice"): [write],
        ("ResourceType", "AWS::IAM::User"): [iam],
        ("ResourceName", "case-123"): [write],
        ("EventSource", IAM_SOURCE): [iam],
        ("AccessKeyId", "ASCKWRITE"): [write],
        ("AccessKeyId", "ASCKNONE"): [],
    }
    for (key, value), expected in table.items():
        events = trail.lookup_events(
            LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}]
        )["Events"]
        # Only these three records: the account's creation, its users and keys and the lookups
        # themselves are in its history too.
        ours = {str(e.event_id) for e in (read, write, iam)}
        found = [event_id for event_id in _ids(events) if event_id in ours]
        assert found == [str(e.event_id) for e in expected], (key, value)


def test_lookup_events_is_recorded_as_a_read_only_cloudtrail_call(trail, reader) -> None:
    trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateCase"}],
        MaxResults=5,
    )
    record = AuditEvent.objects.get(event_name="LookupEvents")
    assert record.event_source == CLOUDTRAIL_SOURCE
    assert record.read_only is True
    assert record.recipient_account_id == reader.account.account_id
    assert record.access_key_id == reader.access_key_id
    # CloudTrail's records name the parameters in camelCase.
    assert record.request_parameters == {
        "lookupAttributes": [{"attributeKey": "EventName", "attributeValue": "CreateCase"}],
        "maxResults": 5,
    }
    # ... and the next lookup finds it.
    [found] = trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": CLOUDTRAIL_SOURCE}]
    )["Events"]
    assert found["EventId"] == str(record.event_id) and found["ReadOnly"] == "true"


def test_time_range(trail, api_user) -> None:
    start = timezone.now() - timedelta(days=10)
    with time_machine.travel(start, tick=False):
        old = record_call(api_user.account)
    with time_machine.travel(start + timedelta(days=5), tick=False):
        middle = record_call(api_user.account)
    with time_machine.travel(timezone.now() - timedelta(days=91), tick=False):
        record_call(api_user.account)  # past event history's 90 days
    events = trail.lookup_events(
        StartTime=start + timedelta(days=1), EndTime=start + timedelta(days=6)
    )["Events"]
    assert _ids(events) == [str(middle.event_id)]
    events = trail.lookup_events(EndTime=start + timedelta(days=6))["Events"]
    assert _ids(events) == [str(middle.event_id), str(old.event_id)]
    # ISO 8601 strings are timestamps too (botocore sends them for string arguments).
    body = {
        "StartTime": (start - timedelta(hours=1)).isoformat(),
        "EndTime": (start + timedelta(days=6)).timestamp(),
    }
    events = raw_lookup(trail, json.dumps(body).encode())["Events"]
    assert _ids(events) == [
        str(middle.event_id),
        str(old.event_id),
    ]


def test_paginator_walks_every_page_in_order(trail, api_user, other_api_user) -> None:
    seeded = seed_calls(api_user.account, 11)
    seed_calls(other_api_user.account, 3)
    expected = [
        str(e.event_id) for e in sorted(seeded, key=lambda e: (e.event_time, e.id), reverse=True)
    ]
    attribute = [{"AttributeKey": "EventSource", "AttributeValue": SUPPORT_SOURCE}]
    pages = list(
        trail.get_paginator("lookup_events").paginate(
            LookupAttributes=attribute, PaginationConfig={"PageSize": 3}
        )
    )
    assert [len(page["Events"]) for page in pages] == [3, 3, 3, 2]
    assert [event_id for page in pages for event_id in _ids(page["Events"])] == expected
    assert "NextToken" not in pages[-1]
    # MaxItems: the paginator stops and hands back its own resume token.
    limited = trail.get_paginator("lookup_events").paginate(
        LookupAttributes=attribute, PaginationConfig={"PageSize": 4, "MaxItems": 5}
    )
    assert _ids(limited.build_full_result()["Events"]) == expected[:5]


def test_a_page_costs_the_same_queries_whatever_its_depth_or_the_history(trail, api_user) -> None:
    seed_calls(api_user.account, 30)
    attribute = [{"AttributeKey": "EventSource", "AttributeValue": SUPPORT_SOURCE}]
    trail.lookup_events(MaxResults=1)  # warm: the key's last-used stamp is written once
    counts = []
    token = None
    for _page in range(4):
        params = {"LookupAttributes": attribute, "MaxResults": 7}
        if token:
            params["NextToken"] = token
        with CaptureQueriesContext(connection) as context:
            result = trail.lookup_events(**params)
        counts.append(len(context.captured_queries))
        token = result["NextToken"]
    # 1 access key with user, account and plan; 2 the user's policies; 3 the page (one seek
    # in the account's event-source index); 4 the call's own audit record.
    assert counts == [4, 4, 4, 4]
    seed_calls(api_user.account, 60)
    with CaptureQueriesContext(connection) as context:
        trail.lookup_events(LookupAttributes=attribute, MaxResults=50)
    assert len(context.captured_queries) == 4


def test_an_account_sees_only_its_own_records(
    make_trail_client, trail, api_user, other_api_user
) -> None:
    mine = record_call(api_user.account)
    theirs = record_call(other_api_user.account)
    other_trail = make_trail_client(make_api_user(other_api_user.account, policy=READER_POLICY))
    assert str(theirs.event_id) not in _ids(trail.lookup_events()["Events"])
    assert str(mine.event_id) not in _ids(other_trail.lookup_events()["Events"])
    # Another account's event id answers like one that does not exist.
    for event_id in (str(theirs.event_id), "00000000-0000-4000-8000-000000000000"):
        assert (
            trail.lookup_events(
                LookupAttributes=[{"AttributeKey": "EventId", "AttributeValue": event_id}]
            )["Events"]
            == []
        )
    # A token is the account's own: another account's is refused, not followed.
    seed_calls(api_user.account, 3)
    token = trail.lookup_events(MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as excinfo:
        other_trail.lookup_events(MaxResults=1, NextToken=token)
    assert code_of(excinfo) == "InvalidNextTokenException"
