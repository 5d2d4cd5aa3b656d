"""CloudTrail's LookupEvents through a real boto3 `cloudtrail` client (wired to Django's test
client): the records /cloudtrail/ lists, every lookup attribute, time ranges, paging in the
database, CloudTrail's errors, IAM, tenant isolation, and the call's own record."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import time_machine
from botocore.config import Config
from botocore.exceptions import ClientError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.principals import SYSTEM
from accounts.services import access_key_create, account_update
from audit import services as audit
from audit.models import AuditEvent
from audit.names import CLOUDTRAIL_SOURCE, IAM_SOURCE, SUPPORT_SOURCE
from audit.selectors import LOOKUP_ATTRIBUTES
from awsapi import auth, dispatch
from awsapi.operations import cloudtrail as lookup
from core.paging import Cursor, page_token
from tests import factories
from tests.awsapi.conftest import ApiUser, forward, make_api_user, to_aws_response
from tests.awsapi.test_fuzz import junk

CT_TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
READER_POLICY = "AWSCloudTrail_ReadOnlyAccess"


def code_of(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture
def make_trail_client(client):
    def factory(api_user: ApiUser, *, forwarded: list | None = None):
        boto = boto3.client(
            "cloudtrail",
            endpoint_url="http://testserver",
            region_name="eu-west-1",
            aws_access_key_id=api_user.access_key_id,
            aws_secret_access_key=api_user.secret,
            config=Config(
                retries={"mode": "standard", "max_attempts": 1},
                # The server must validate on its own.
                parameter_validation=False,
            ),
        )

        def send(request, **kwargs):
            response = forward(request, client)
            if forwarded is not None:
                forwarded.append((request, response))
            return to_aws_response(request, response)

        boto.meta.events.register("before-send.cloudtrail", send)
        return boto

    return factory


@pytest.fixture
def reader(api_user) -> ApiUser:
    """A user of `api_user`'s account allowed CloudTrail's reads only."""
    return make_api_user(api_user.account, policy=READER_POLICY)


@pytest.fixture
def trail(make_trail_client, reader):
    return make_trail_client(reader)


def raw_lookup(trail, raw_body: bytes):
    """LookupEvents with `raw_body` signed and sent instead of what botocore serialized (for
    bodies no SDK would build)."""

    def replace(request, **kwargs):
        request.data = raw_body

    trail.meta.events.register_first("before-sign.cloudtrail", replace, unique_id="raw-body")
    try:
        return trail.lookup_events()
    finally:
        trail.meta.events.unregister("before-sign.cloudtrail", unique_id="raw-body")


def _record(account, *, user=None, name="DescribeCases", **fields):
    actor = factories.principal(
        user or factories.root_of(account), via="api", access_key_id=fields.pop("key", "")
    )
    return audit.record(actor=actor, event_name=name, account=account, **fields)


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
    read = _record(account, name="DescribeCases", read_only=True, key="ASCKREAD")
    write = _record(
        account,
        user=iam_user,
        name="ResolveCase",
        request_parameters={"caseId": "case-123"},
        key="ASCKWRITE",
    )
    iam = _record(
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
        old = _record(api_user.account)
    with time_machine.travel(start + timedelta(days=5), tick=False):
        middle = _record(api_user.account)
    with time_machine.travel(timezone.now() - timedelta(days=91), tick=False):
        _record(api_user.account)  # past event history's 90 days
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


def _seed(account, count: int) -> list[AuditEvent]:
    now = timezone.now()
    rows = []
    for index in range(count):
        # Pairs share a moment: the id breaks the tie, and no page may lose or repeat one.
        with time_machine.travel(now - timedelta(minutes=count - index // 2), tick=False):
            rows.append(_record(account, name=f"Op{index}"))
    return rows


def test_paginator_walks_every_page_in_order(trail, api_user, other_api_user) -> None:
    seeded = _seed(api_user.account, 11)
    _seed(other_api_user.account, 3)
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
    _seed(api_user.account, 30)
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
    _seed(api_user.account, 60)
    with CaptureQueriesContext(connection) as context:
        trail.lookup_events(LookupAttributes=attribute, MaxResults=50)
    assert len(context.captured_queries) == 4


def test_an_account_sees_only_its_own_records(
    make_trail_client, trail, api_user, other_api_user
) -> None:
    mine = _record(api_user.account)
    theirs = _record(other_api_user.account)
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
    _seed(api_user.account, 3)
    token = trail.lookup_events(MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as excinfo:
        other_trail.lookup_events(MaxResults=1, NextToken=token)
    assert code_of(excinfo) == "InvalidNextTokenException"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"MaxResults": 0}, "InvalidMaxResultsException"),
        ({"MaxResults": 51}, "InvalidMaxResultsException"),
        ({"MaxResults": -3}, "InvalidMaxResultsException"),
        ({"MaxResults": "10"}, "ValidationException"),
        (
            {
                "LookupAttributes": [
                    {"AttributeKey": "EventName", "AttributeValue": "A"},
                    {"AttributeKey": "Username", "AttributeValue": "B"},
                ]
            },
            "InvalidLookupAttributesException",
        ),
        (
            {"LookupAttributes": [{"AttributeKey": "Region", "AttributeValue": "x"}]},
            "InvalidLookupAttributesException",
        ),
        (
            {"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": ""}]},
            "InvalidLookupAttributesException",
        ),
        (
            {"LookupAttributes": [{"AttributeKey": "ReadOnly", "AttributeValue": "maybe"}]},
            "InvalidLookupAttributesException",
        ),
        ({"LookupAttributes": [{"AttributeKey": "EventName"}]}, "ValidationException"),
        (
            {"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "x" * 2001}]},
            "ValidationException",
        ),
        ({"StartTime": 1_700_000_100, "EndTime": 1_700_000_000}, "InvalidTimeRangeException"),
        ({"StartTime": 10**30}, "InvalidTimeRangeException"),
        ({"EndTime": -(10**30)}, "InvalidTimeRangeException"),
        ({"StartTime": "yesterday-ish"}, "InvalidTimeRangeException"),
        ({"StartTime": True}, "ValidationException"),
        ({"EventCategory": "management"}, "InvalidEventCategoryException"),
        ({"NextToken": "not-a-token"}, "InvalidNextTokenException"),
        ({"Unknown": 1}, "ValidationException"),
    ],
)
def test_refusals_are_cloudtrails_errors(trail, reader, body, code) -> None:
    with pytest.raises(ClientError) as excinfo:
        raw_lookup(trail, json.dumps(body).encode())
    assert code_of(excinfo) == code
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # The refusal is in the account's trail, as CloudTrail's own.
    refused = AuditEvent.objects.get(event_name="LookupEvents", error_code=code)
    assert refused.event_source == CLOUDTRAIL_SOURCE
    assert refused.recipient_account_id == reader.account.account_id


def test_modelled_errors_are_the_clients_exception_classes(trail) -> None:
    with pytest.raises(trail.exceptions.InvalidMaxResultsException):
        trail.lookup_events(MaxResults=60)
    with pytest.raises(trail.exceptions.InvalidTimeRangeException):
        trail.lookup_events(
            StartTime=datetime(2030, 1, 1, tzinfo=UTC), EndTime=datetime(2029, 1, 1, tzinfo=UTC)
        )
    with pytest.raises(trail.exceptions.InvalidNextTokenException) as excinfo:
        trail.lookup_events(NextToken="x" * 40)
    assert excinfo.value.response["Error"]["Message"] == lookup.MSG_NEXT_TOKEN


def test_a_token_belongs_to_its_parameters(trail, api_user) -> None:
    _seed(api_user.account, 4)
    token = trail.lookup_events(MaxResults=2)["NextToken"]
    # The same query with another page size follows it ...
    assert len(trail.lookup_events(MaxResults=1, NextToken=token)["Events"]) == 1
    # ... another query does not.
    with pytest.raises(trail.exceptions.InvalidNextTokenException):
        trail.lookup_events(
            MaxResults=2,
            NextToken=token,
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "Op1"}],
        )
    # A token naming a cursor that is not the list's is refused like an altered one.
    scope = {
        "op": "LookupEvents",
        "account": api_user.account.account_id,
        "attribute": "",
        "value": "",
        "start": None,
        "end": None,
        "category": "",
    }
    forged = page_token(Cursor(("yesterday", "x")), scope)
    with pytest.raises(trail.exceptions.InvalidNextTokenException):
        trail.lookup_events(NextToken=forged)


def test_insight_events_are_none(trail, api_user) -> None:
    _record(api_user.account)
    assert trail.lookup_events(EventCategory="insight")["Events"] == []


def test_iam_decides(make_trail_client, api_user) -> None:
    # AWSSupportAccess grants no CloudTrail action.
    support_only = make_trail_client(api_user)
    with pytest.raises(ClientError) as excinfo:
        support_only.lookup_events()
    assert code_of(excinfo) == "AccessDeniedException"
    assert "cloudtrail:LookupEvents" in excinfo.value.response["Error"]["Message"]
    denied = AuditEvent.objects.get(event_name="LookupEvents")
    assert denied.error_code == "AccessDeniedException"
    # The root user may do everything; a key of the root user reads the history.
    root = factories.root_of(api_user.account)
    key, secret = access_key_create(user=root, actor=SYSTEM)
    root_trail = make_trail_client(ApiUser(api_user.account, key.access_key_id, secret))
    assert "LookupEvents" in [e["EventName"] for e in root_trail.lookup_events()["Events"]]


def test_cloudtrail_needs_no_support_plan_with_api_access(
    make_trail_client, make_client, reference_data
):
    basic = factories.make_account("basic")
    reader = make_api_user(basic, policy=READER_POLICY)
    names = [e["EventName"] for e in make_trail_client(reader).lookup_events()["Events"]]
    assert "CreateAccount" in names
    # AWS Support's API still needs a plan that includes it.
    with pytest.raises(ClientError) as excinfo:
        make_client(make_api_user(basic)).describe_services()
    assert code_of(excinfo) == "SubscriptionRequiredException"


def test_the_signature_must_be_scoped_to_the_operations_service(support, trail) -> None:
    # A support client's call re-targeted at LookupEvents: signed for `support`, so refused.
    def retarget(request, **kwargs):
        request.headers.replace_header("X-Amz-Target", CT_TARGET)

    support.meta.events.register_first("before-sign.support", retarget)
    with pytest.raises(ClientError) as excinfo:
        support.describe_severity_levels()
    assert code_of(excinfo) == "InvalidSignatureException"
    assert excinfo.value.response["Error"]["Message"] == auth.MSG_WRONG_SERVICE.format(
        service="cloudtrail"
    )

    # And a cloudtrail client's call re-targeted at AWS Support.
    def to_support(request, **kwargs):
        request.headers.replace_header("X-Amz-Target", "AWSSupport_20130415.DescribeServices")

    trail.meta.events.register_first("before-sign.cloudtrail", to_support)
    with pytest.raises(ClientError) as excinfo:
        trail.lookup_events()
    assert excinfo.value.response["Error"]["Message"] == auth.MSG_WRONG_SERVICE.format(
        service="support"
    )
    assert not AuditEvent.objects.filter(event_name__in=["LookupEvents", "DescribeServices"])


def test_unknown_cloudtrail_operations_are_unknown(trail) -> None:
    def retarget(request, **kwargs):
        request.headers.replace_header(
            "X-Amz-Target", CT_TARGET.replace("LookupEvents", "DeleteTrail")
        )

    trail.meta.events.register_first("before-sign.cloudtrail", retarget)
    with pytest.raises(ClientError) as excinfo:
        trail.lookup_events()
    assert code_of(excinfo) == "UnknownOperationException"


def test_lookup_events_is_registered_with_cloudtrails_model() -> None:
    spec = dispatch.REGISTRIES["cloudtrail"]["LookupEvents"]
    assert spec.action == "cloudtrail:LookupEvents" and spec.read_only
    # AWS Support's registry is untouched by it.
    assert "LookupEvents" not in dispatch.REGISTRY
    with pytest.raises(ValueError, match="not an operation of the cloudtrail model"):
        dispatch.operation("DescribeCases", service="cloudtrail")


_timestamps = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.sampled_from(["2024-02-30T00:00:00Z", "0", "1e999", "9" * 40]),
)
_attribute = st.fixed_dictionaries(
    {},
    optional={
        "AttributeKey": st.one_of(st.sampled_from(list(LOOKUP_ATTRIBUTES)), st.text(max_size=12)),
        "AttributeValue": st.one_of(
            st.text(max_size=40), st.just("a\x00b"), st.just("x" * 2001), st.uuids().map(str)
        ),
    },
)
_lookup_bodies = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "LookupAttributes": st.lists(_attribute, max_size=2),
            "StartTime": _timestamps,
            "EndTime": _timestamps,
            "EventCategory": st.one_of(st.just("insight"), st.text(max_size=10)),
            "MaxResults": st.integers(min_value=-5, max_value=100),
            "NextToken": st.one_of(st.text(max_size=60), st.just("gAAAAA" + "A" * 80)),
        },
    ),
    # Any member with a value of any type.
    st.dictionaries(
        st.sampled_from(
            ["LookupAttributes", "StartTime", "EndTime", "EventCategory", "MaxResults", "NextToken"]
        ),
        junk,
        max_size=3,
    ),
)


def test_generated_bodies_never_5xx(trail, api_user) -> None:
    _seed(api_user.account, 3)

    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_lookup_bodies)
    def check(body) -> None:
        try:
            result = raw_lookup(trail, json.dumps(body).encode())
        except ClientError as exc:
            status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
            assert status < 500, (body, exc.response)
            assert exc.response["Error"]["Code"] not in ("", "500")
        else:
            assert isinstance(result["Events"], list)

    check()


def test_a_deactivated_account_reads_nothing(trail, reader) -> None:
    account_update(account=reader.account, is_active=False, actor=SYSTEM)
    with pytest.raises(ClientError) as excinfo:
        trail.lookup_events()
    assert code_of(excinfo) == "AccessDeniedException"
    assert excinfo.value.response["Error"]["Message"] == dispatch.MSG_ACCOUNT_INACTIVE
