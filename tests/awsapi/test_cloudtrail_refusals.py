"""LookupEvents refusing what it must: malformed and hostile bodies answered with CloudTrail's own
errors (never a 5xx), tokens bound to their parameters, IAM and the signature's service scope
deciding, and a deactivated account reading nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.principals import SYSTEM
from accounts.services import access_key_create, account_update
from audit.models import AuditEvent
from audit.names import CLOUDTRAIL_SOURCE
from audit.selectors import LOOKUP_ATTRIBUTES
from awsapi import auth, dispatch
from awsapi.operations import cloudtrail as lookup
from core.paging import Cursor, page_token
from tests import factories
from tests.awsapi.conftest import (
    CT_TARGET,
    READER_POLICY,
    ApiUser,
    code_of,
    make_api_user,
    raw_lookup,
    record_call,
    seed_calls,
)
from tests.awsapi.test_fuzz import junk


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
    seed_calls(api_user.account, 4)
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
    record_call(api_user.account)
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
    seed_calls(api_user.account, 3)

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
