"""The event pattern matcher, table-style, from the EventBridge user guide's examples and the
semantics of AWS's matcher (aws/event-ruler); plus properties checked with hypothesis."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from core.errors import InvalidEventPatternException
from events import pattern as p
from events.pattern import matches, validate_pattern

EC2_EVENT = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}

AUTOSCALING_EVENT = {
    "version": "0",
    "id": "3e3c153a-8339-4e30-8c35-687ebef853fe",
    "detail-type": "EC2 Instance Launch Successful",
    "source": "aws.autoscaling",
    "account": "123456789012",
    "time": "2015-11-11T21:31:47Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {"eventVersion": "", "responseElements": None},
}

MACIE_EVENT = {
    "version": "0",
    "id": "3e355723-fca9-4de3-9fd7-154c289d6b59",
    "detail-type": "Macie Alert",
    "source": "aws.macie",
    "account": "123456789012",
    "time": "2017-04-24T22:28:49Z",
    "region": "us-east-1",
    "resources": [
        "arn:aws:macie:us-east-1:123456789012:trigger/trigger_id/alert/alert_id",
        "arn:aws:macie:us-east-1:123456789012:trigger/trigger_id",
    ],
    "detail": {
        "notification-type": "ALERT_CREATED",
        "name": "Scanning bucket policies",
        "tags": ["Custom_Alert", "Insider"],
        "risk-score": 80,
        "trigger": {"alert-type": "basic", "risk": 8},
    },
}

# The event-ruler README's running example.
RULER_EVENT = {
    "version": "0",
    "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "012345679012",
    "time": "2017-10-02T16:24:49Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
    "detail": {
        "c-count": 5,
        "d-count": 3,
        "x-limit": 301.8,
        "source-ip": "10.0.0.33",
        "instance-id": "i-000000aaaaaa00000",
        "state": "running",
    },
}

EMPLOYEES = {
    "employees": [
        {"firstName": "John", "lastName": "Doe"},
        {"firstName": "Anna", "lastName": "Smith"},
        {"firstName": "Peter", "lastName": "Jones"},
    ]
}

CLOUDWATCH = {"source": "aws.cloudwatch", "metricName": "CPUUtilization", "namespace": "Custom"}

TA_EVENT = {
    "version": "0",
    "id": "1234abcd-ab12-123a-123a-1234567890ab",
    "detail-type": "Trusted Advisor Check Item Refresh Notification",
    "source": "aws.trustedadvisor",
    "account": "123456789012",
    "time": "2018-01-12T20:07:49Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {
        "check-name": "Low Utilization Amazon EC2 Instances",
        "check-item-detail": {"Instance ID": "i-0123", "Estimated Monthly Savings": "$230"},
        "status": "WARN",
        "resource_id": "arn:aws:ec2:us-east-1:123456789012:instance/i-0123",
        "uuid": "aa12345f-55c7-498e-b7ac-123456781234",
    },
}


def event(**detail: Any) -> dict[str, Any]:
    return {"source": "test", "detail": detail}


TABLE: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    # --- Plain values: AND over fields, OR within a leaf, exact and case-sensitive ------------
    (
        "guide: EC2 termination",
        {
            "source": ["aws.ec2"],
            "detail-type": ["EC2 Instance State-change Notification"],
            "detail": {"state": ["terminated"]},
        },
        EC2_EVENT,
        True,
    ),
    ("guide: source is ec2 or fargate", {"source": ["aws.ec2", "aws.fargate"]}, EC2_EVENT, True),
    ("an alternative that is absent", {"source": ["aws.s3", "aws.fargate"]}, EC2_EVENT, False),
    ("case-sensitive", {"source": ["AWS.EC2"]}, EC2_EVENT, False),
    ("one field of two fails", {"source": ["aws.ec2"], "region": ["eu-west-1"]}, EC2_EVENT, False),
    ("a field the event lacks", {"detail": {"reason": ["x"]}}, EC2_EVENT, False),
    ("an object the event lacks", {"requestContext": {"x": ["y"]}}, EC2_EVENT, False),
    ("no normalisation", {"detail": {"state": ["terminated "]}}, EC2_EVENT, False),
    ("fields not named are ignored", {"account": ["111122223333"]}, EC2_EVENT, True),
    # --- null and empty strings -----------------------------------------------------------------
    ("guide: null", {"detail": {"responseElements": [None]}}, AUTOSCALING_EVENT, True),
    ("guide: empty string", {"detail": {"eventVersion": [""]}}, AUTOSCALING_EVENT, True),
    ("guide: empty is not null", {"detail": {"responseElements": [""]}}, AUTOSCALING_EVENT, False),
    ("guide: null is not empty", {"detail": {"eventVersion": [None]}}, AUTOSCALING_EVENT, False),
    ("null does not match a missing field", {"detail": {"gone": [None]}}, AUTOSCALING_EVENT, False),
    ("empty array has no values", {"resources": [""]}, AUTOSCALING_EVENT, False),
    # --- numbers and booleans ---------------------------------------------------------------------
    (
        "guide: Macie risk score and trigger risk",
        {
            "source": ["aws.macie"],
            "detail-type": ["Macie Alert"],
            "detail": {"risk-score": [80], "trigger": {"risk": [8]}},
        },
        MACIE_EVENT,
        True,
    ),
    ("guide: 80 is not 80.0", {"detail": {"risk-score": [80.0]}}, MACIE_EVENT, False),
    ("a number is not its string", {"detail": {"risk-score": ["80"]}}, MACIE_EVENT, False),
    ("a string is not a number", {"detail": {"v": [1]}}, event(v="1"), False),
    ("floats equal", {"detail": {"x-limit": [301.8]}}, RULER_EVENT, True),
    ("true", {"detail": {"on": [True]}}, event(on=True), True),
    ("true is not 1", {"detail": {"on": [1]}}, event(on=True), False),
    ("1 is not true", {"detail": {"on": [True]}}, event(on=1), False),
    ("true is not the string", {"detail": {"on": ["true"]}}, event(on=True), False),
    ("false", {"detail": {"on": [False]}}, event(on=False), True),
    # --- arrays in events -------------------------------------------------------------------------
    (
        "guide: intersection with the event's array",
        {
            "resources": [
                "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
                "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
            ]
        },
        {
            "resources": [
                "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56:name/ASG",
                "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
            ]
        },
        True,
    ),
    ("no intersection", {"detail": {"tags": ["Other"]}}, MACIE_EVENT, False),
    ("any element of an array", {"detail": {"tags": ["Insider"]}}, MACIE_EVENT, True),
    ("arrays of arrays flatten", {"detail": {"v": ["b"]}}, event(v=[["a"], ["b"]]), True),
    ("ruler: objects in arrays", {"employees": {"firstName": ["Anna"]}}, EMPLOYEES, True),
    (
        "ruler: both fields from one element",
        {"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}},
        EMPLOYEES,
        True,
    ),
    (
        "ruler: fields from two elements never combine",
        {"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}},
        EMPLOYEES,
        False,
    ),
    (
        "ruler: multi-level arrays",
        {"employees": {"firstName": ["Peter"]}},
        {"employees": [[{"firstName": "John"}], [{"firstName": "Peter"}]]},
        True,
    ),
    ("an object is not a value", {"detail": {"trigger": ["basic"]}}, MACIE_EVENT, False),
    # --- prefix and suffix ------------------------------------------------------------------------
    ("guide: prefix on time", {"time": [{"prefix": "2017-10-02"}]}, RULER_EVENT, True),
    ("prefix mismatch", {"time": [{"prefix": "2017-10-03"}]}, RULER_EVENT, False),
    (
        "guide: European regions",
        {"source": ["aws.autoscaling"], "region": [{"prefix": "eu-"}]},
        {"source": "aws.autoscaling", "region": "eu-west-1"},
        True,
    ),
    ("prefix is case-sensitive", {"source": [{"prefix": "AWS."}]}, EC2_EVENT, False),
    ("prefix only on strings", {"detail": {"c-count": [{"prefix": "5"}]}}, RULER_EVENT, False),
    (
        "guide: prefix ignoring case",
        {"service": [{"prefix": {"equals-ignore-case": "eventb"}}]},
        {"service": "EventBridge"},
        True,
    ),
    ("ruler: suffix", {"source": [{"suffix": "ec2"}]}, EC2_EVENT, True),
    ("guide: suffix .png", {"FileName": [{"suffix": ".png"}]}, {"FileName": "cat.png"}, True),
    ("suffix mismatch", {"FileName": [{"suffix": ".png"}]}, {"FileName": "cat.PNG"}, False),
    (
        "guide: suffix ignoring case",
        {"service": [{"suffix": {"equals-ignore-case": "tbridge"}}]},
        {"service": "EVENTBRIDGE"},
        True,
    ),
    # --- equals-ignore-case ----------------------------------------------------------------------
    ("guide: Alice", {"Name": [{"equals-ignore-case": "alice"}]}, {"Name": "Alice"}, True),
    ("ruler: EC2", {"source": [{"equals-ignore-case": "AWS.EC2"}]}, EC2_EVENT, True),
    (
        "ignore case is still whole",
        {"Name": [{"equals-ignore-case": "ali"}]},
        {"Name": "Alice"},
        False,
    ),
    # --- wildcard ---------------------------------------------------------------------------------
    (
        "ruler: Simple*Service",
        {"source": [{"wildcard": "Simple*Service"}]},
        {"source": "Simple Queue Service"},
        True,
    ),
    ("star matches nothing", {"s": [{"wildcard": "Simple*Service"}]}, {"s": "SimpleService"}, True),
    (
        "anchored at the end",
        {"s": [{"wildcard": "Simple*Service"}]},
        {"s": "SimpleServices"},
        False,
    ),
    ("anchored at the start", {"s": [{"wildcard": "Simple*"}]}, {"s": "A Simple thing"}, False),
    (
        "guide: object keys in a bucket",
        {"key": [{"wildcard": "dir/*.png"}]},
        {"key": "dir/sub/cat.png"},
        True,
    ),
    ("several stars", {"key": [{"wildcard": "*a*b*c*"}]}, {"key": "xxaxxbxxcxx"}, True),
    ("several stars, wrong order", {"key": [{"wildcard": "*a*b*c*"}]}, {"key": "cba"}, False),
    ("overlapping segments", {"key": [{"wildcard": "ab*ba"}]}, {"key": "aba"}, False),
    ("escaped star is literal", {"key": [{"wildcard": "a\\*b"}]}, {"key": "a*b"}, True),
    ("escaped star is not a wildcard", {"key": [{"wildcard": "a\\*b"}]}, {"key": "axb"}, False),
    ("escaped backslash", {"key": [{"wildcard": "a\\\\*"}]}, {"key": "a\\bc"}, True),
    ("no star: exact", {"key": [{"wildcard": "abc"}]}, {"key": "abc"}, True),
    ("wildcard only on strings", {"n": [{"wildcard": "*"}]}, {"n": 5}, False),
    # --- anything-but ---------------------------------------------------------------------------
    (
        "guide: anything but a string",
        {"detail": {"state": [{"anything-but": "initializing"}]}},
        RULER_EVENT,
        True,
    ),
    (
        "anything but the value itself",
        {"detail": {"state": [{"anything-but": "running"}]}},
        RULER_EVENT,
        False,
    ),
    (
        "guide: anything but a number",
        {"detail": {"x-limit": [{"anything-but": 123}]}},
        RULER_EVENT,
        True,
    ),
    ("anything but 5", {"detail": {"c-count": [{"anything-but": 5}]}}, RULER_EVENT, False),
    (
        "guide: anything but a list of strings",
        {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
        event(state="running"),
        True,
    ),
    (
        "a value in the anything-but list",
        {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
        event(state="stopped"),
        False,
    ),
    (
        "guide: anything but a list of numbers",
        {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}},
        event(**{"x-limit": 200}),
        False,
    ),
    (
        "guide: anything but CloudTrail",
        {"detail-type": [{"anything-but": "AWS API Call via CloudTrail"}]},
        EC2_EVENT,
        True,
    ),
    (
        "guide: anything but ec2 or s3",
        {"source": [{"anything-but": ["aws.ec2", "aws.s3"]}]},
        EC2_EVENT,
        False,
    ),
    (
        "anything-but needs the field",
        {"detail": {"gone": [{"anything-but": "x"}]}},
        EC2_EVENT,
        False,
    ),
    (
        "anything-but in an array: any element",
        {"detail": {"tags": [{"anything-but": "Insider"}]}},
        MACIE_EVENT,
        True,
    ),
    (
        "guide: anything but prefix init",
        {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}},
        event(state="initializing"),
        False,
    ),
    (
        "guide: own events only (anything but aws.)",
        {"source": [{"anything-but": {"prefix": "aws."}}]},
        {"source": "com.example.shop"},
        True,
    ),
    (
        "guide: anything but a .png",
        {"FileName": [{"anything-but": {"suffix": ".png"}}]},
        {"FileName": "cat.png"},
        False,
    ),
    (
        "guide: anything but ignoring case",
        {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]},
        {"state": "INITIALIZING"},
        False,
    ),
    (
        "anything but ignoring case, a list",
        {"state": [{"anything-but": {"equals-ignore-case": ["stopped", "overloaded"]}}]},
        {"state": "Running"},
        True,
    ),
    (
        "guide: anything but a /lib/ path",
        {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]},
        {"FilePath": "/usr/lib/libc.so"},
        False,
    ),
    (
        "anything but a /lib/ path, another path",
        {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]},
        {"FilePath": "/usr/bin/env"},
        True,
    ),
    # --- numeric ----------------------------------------------------------------------------------
    (
        "guide: numeric ranges, all true",
        {
            "detail": {
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"numeric": ["=", 3.018e2]}],
            }
        },
        RULER_EVENT,
        True,
    ),
    (
        "upper bound excluded",
        {"detail": {"c-count": [{"numeric": [">", 0, "<", 5]}]}},
        RULER_EVENT,
        False,
    ),
    ("lower bound excluded", {"detail": {"c-count": [{"numeric": [">", 5]}]}}, RULER_EVENT, False),
    ("lower bound included", {"detail": {"c-count": [{"numeric": [">=", 5]}]}}, RULER_EVENT, True),
    (
        "numeric = across int and float",
        {"detail": {"c-count": [{"numeric": ["=", 5.0]}]}},
        RULER_EVENT,
        True,
    ),
    ("numeric only on numbers", {"detail": {"v": [{"numeric": ["<", 10]}]}}, event(v="5"), False),
    ("numeric not on booleans", {"detail": {"v": [{"numeric": ["=", 1]}]}}, event(v=True), False),
    (
        "negative numbers",
        {"detail": {"v": [{"numeric": [">=", -10, "<", 0]}]}},
        event(v=-2.5),
        True,
    ),
    # --- cidr -------------------------------------------------------------------------------------
    (
        "guide: IP in 10.0.0.0/24",
        {"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}},
        RULER_EVENT,
        True,
    ),
    ("IP outside", {"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}, RULER_EVENT, False),
    ("IPv6", {"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db8:0:1::5"}, True),
    ("IPv4 against an IPv6 block", {"ip": [{"cidr": "::/0"}]}, {"ip": "10.0.0.1"}, False),
    ("not an address", {"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "ten"}, False),
    # --- exists -----------------------------------------------------------------------------------
    (
        "guide: c-count does not exist",
        {"detail": {"c-count": [{"exists": False}]}},
        EC2_EVENT,
        True,
    ),
    (
        "guide: an object is not a leaf, so it does not exist",
        {"detail": {"c-count": [{"exists": False}]}},
        event(**{"c-count": {"c1": 100}}),
        True,
    ),
    ("exists false, present", {"detail": {"c-count": [{"exists": False}]}}, RULER_EVENT, False),
    (
        "guide: description exists",
        {"detail": {"description": [{"exists": True}]}},
        event(description="x"),
        True,
    ),
    ("exists true, absent", {"detail": {"description": [{"exists": True}]}}, EC2_EVENT, False),
    ("null exists", {"detail": {"responseElements": [{"exists": True}]}}, AUTOSCALING_EVENT, True),
    ("an empty array has no leaves", {"resources": [{"exists": False}]}, AUTOSCALING_EVENT, True),
    (
        "exists false under a missing object",
        {"nothing": {"here": [{"exists": False}]}},
        EC2_EVENT,
        True,
    ),
    (
        "exists true under a missing object",
        {"nothing": {"here": [{"exists": True}]}},
        EC2_EVENT,
        False,
    ),
    (
        "exists false or a value",
        {"detail": {"reason": [{"exists": False}, "manual"]}},
        event(reason="manual"),
        True,
    ),
    # --- $or --------------------------------------------------------------------------------------
    (
        "ruler: source and (metricName or namespace)",
        {
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["CPUUtilization", "ReadLatency"]},
                {"namespace": ["AWS/EC2", "AWS/ES"]},
            ],
        },
        CLOUDWATCH,
        True,
    ),
    (
        "$or where no branch matches",
        {"$or": [{"metricName": ["ReadLatency"]}, {"namespace": ["AWS/EC2"]}]},
        CLOUDWATCH,
        False,
    ),
    (
        "ruler: an or with an and inside",
        {
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["ReadLatency"]},
                {"metricName": ["CPUUtilization"], "namespace": ["Custom"]},
            ],
        },
        CLOUDWATCH,
        True,
    ),
    (
        "ruler: nested or in detail",
        {
            "detail": {
                "$or": [
                    {"source": ["aws.cloudwatch"]},
                    {"detail-type": ["CloudWatch Alarm State Change"]},
                ]
            }
        },
        {"detail": {"detail-type": "CloudWatch Alarm State Change"}},
        True,
    ),
    (
        "$or with numeric branches",
        {"$or": [{"a": [{"numeric": ["<", 0]}]}, {"b": [{"numeric": [">", 100]}]}]},
        {"a": 5, "b": 500},
        True,
    ),
    (
        "legacy: $or holding an object is a field name",
        {"$or": {"x": ["1"]}},
        {"$or": {"x": "1"}},
        True,
    ),
    # --- a complex example and the two event kinds of Support Center ---------------------------
    (
        "ruler: complex example",
        {
            "time": [{"prefix": "2017-10-02"}],
            "detail": {
                "state": [{"anything-but": "initializing"}],
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"anything-but": [100, 200, 300]}],
                "source-ip": [{"cidr": "10.0.0.0/8"}],
            },
        },
        RULER_EVENT,
        True,
    ),
    (
        "Trusted Advisor sample rule",
        {
            "source": ["aws.trustedadvisor"],
            "detail-type": ["Trusted Advisor Check Item Refresh Notification"],
            "detail": {
                "status": ["WARN"],
                "check-name": ["Low Utilization Amazon EC2 Instances"],
            },
        },
        TA_EVENT,
        True,
    ),
    (
        "Trusted Advisor: only errors",
        {"source": ["aws.trustedadvisor"], "detail": {"status": ["ERROR"]}},
        TA_EVENT,
        False,
    ),
    (
        "Trusted Advisor: by resource ARN prefix",
        {"detail": {"resource_id": [{"prefix": "arn:aws:ec2:us-east-1:"}]}},
        TA_EVENT,
        True,
    ),
    (
        "Support case replies from AWS",
        {
            "source": ["aws.support"],
            "detail": {"event-name": ["AddCommunicationToCase"], "origin": ["AWS"]},
        },
        {
            "source": "aws.support",
            "detail-type": "Support Case Update",
            "detail": {
                "case-id": "case-111122223333-muen-2022-7118885805350839",
                "display-id": "1234563851",
                "communication-id": "ekko:us-east-1:1234567890abcdef",
                "event-name": "AddCommunicationToCase",
                "origin": "AWS",
            },
        },
        True,
    ),
]


@pytest.mark.parametrize(
    ("pattern", "event_", "expected"),
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_matches(pattern: dict[str, Any], event_: dict[str, Any], expected: bool) -> None:
    validate_pattern(pattern)
    assert matches(pattern, event_) is expected


INVALID: list[tuple[Any, str]] = [
    ([], p.REASON_NOT_OBJECT),
    ("source", p.REASON_NOT_OBJECT),
    ({}, p.REASON_EMPTY_OBJECT.format(path="(top level)")),
    ({"detail": {}}, p.REASON_EMPTY_OBJECT.format(path="detail")),
    ({"source": "aws.ec2"}, p.REASON_LEAF_NOT_ARRAY.format(path="source")),
    ({"detail": {"state": 5}}, p.REASON_LEAF_NOT_ARRAY.format(path="detail.state")),
    ({"source": []}, p.REASON_EMPTY_ARRAY.format(path="source")),
    ({"source": [["aws.ec2"]]}, p.REASON_NESTED_ARRAY.format(path="source")),
    ({"n": [math.nan]}, p.REASON_NOT_FINITE.format(path="n")),
    ({"s": [{"prefix": "a", "suffix": "b"}]}, p.REASON_OPERATOR_SHAPE.format(path="s")),
    ({"s": [{}]}, p.REASON_OPERATOR_SHAPE.format(path="s")),
    (
        {"detail": {"s": [{"begins-with": "a"}]}},
        p.REASON_UNKNOWN_OPERATOR.format(
            operator="begins-with", path="detail.s", valid=", ".join(p.OPERATORS)
        ),
    ),
    ({"s": [{"prefix": 5}]}, p.REASON_PREFIX_ARGUMENT.format(operator="prefix", path="s")),
    (
        {"s": [{"suffix": {"equals-ignore-case": 5}}]},
        p.REASON_PREFIX_ARGUMENT.format(operator="suffix", path="s"),
    ),
    (
        {"s": [{"equals-ignore-case": ["a"]}]},
        p.REASON_STRING_ARGUMENT.format(operator="equals-ignore-case", path="s"),
    ),
    ({"s": [{"exists": "yes"}]}, p.REASON_EXISTS_ARGUMENT.format(path="s")),
    ({"s": [{"exists": 1}]}, p.REASON_EXISTS_ARGUMENT.format(path="s")),
    ({"n": [{"numeric": [">"]}]}, p.REASON_NUMERIC_SHAPE.format(path="n")),
    ({"n": [{"numeric": ">5"}]}, p.REASON_NUMERIC_SHAPE.format(path="n")),
    ({"n": [{"numeric": [">", 1, "<", 5, "=", 3]}]}, p.REASON_NUMERIC_SHAPE.format(path="n")),
    ({"n": [{"numeric": ["~", 5]}]}, p.REASON_NUMERIC_OPERATOR.format(operator="~", path="n")),
    ({"n": [{"numeric": [">", "5"]}]}, p.REASON_NUMERIC_VALUE.format(path="n", value="5")),
    ({"n": [{"numeric": [">", True]}]}, p.REASON_NUMERIC_VALUE.format(path="n", value=True)),
    ({"n": [{"numeric": ["<", 1e10]}]}, p.REASON_NUMERIC_VALUE.format(path="n", value=1e10)),
    ({"n": [{"numeric": [">", 5, ">", 6]}]}, p.REASON_NUMERIC_RANGE.format(path="n")),
    ({"n": [{"numeric": ["<", 5, ">", 1]}]}, p.REASON_NUMERIC_RANGE.format(path="n")),
    ({"n": [{"numeric": [">", 10, "<", 5]}]}, p.REASON_NUMERIC_RANGE.format(path="n")),
    ({"n": [{"numeric": ["=", 1, "<", 5]}]}, p.REASON_NUMERIC_RANGE.format(path="n")),
    (
        {"s": [{"wildcard": "a**b"}]},
        p.REASON_WILDCARD.format(value="a**b", path="s", problem=p.WILDCARD_CONSECUTIVE),
    ),
    (
        {"s": [{"wildcard": "a\\b"}]},
        p.REASON_WILDCARD.format(value="a\\b", path="s", problem=p.WILDCARD_ESCAPE),
    ),
    (
        {"s": [{"wildcard": "trailing\\"}]},
        p.REASON_WILDCARD.format(value="trailing\\", path="s", problem=p.WILDCARD_ESCAPE),
    ),
    ({"s": [{"wildcard": 5}]}, p.REASON_STRING_ARGUMENT.format(operator="wildcard", path="s")),
    ({"ip": [{"cidr": "10.0.0.0/33"}]}, p.REASON_CIDR.format(value="10.0.0.0/33", path="ip")),
    ({"ip": [{"cidr": "ten"}]}, p.REASON_CIDR.format(value="ten", path="ip")),
    ({"s": [{"anything-but": [1, "a"]}]}, p.REASON_ANYTHING_BUT.format(path="s")),
    ({"s": [{"anything-but": []}]}, p.REASON_ANYTHING_BUT.format(path="s")),
    ({"s": [{"anything-but": None}]}, p.REASON_ANYTHING_BUT.format(path="s")),
    ({"s": [{"anything-but": True}]}, p.REASON_ANYTHING_BUT.format(path="s")),
    ({"s": [{"anything-but": {"numeric": [">", 1]}}]}, p.REASON_ANYTHING_BUT.format(path="s")),
    (
        {"s": [{"anything-but": {"prefix": "a", "suffix": "b"}}]},
        p.REASON_ANYTHING_BUT.format(path="s"),
    ),
    (
        {"s": [{"anything-but": {"prefix": ["a"]}}]},
        p.REASON_STRING_ARGUMENT.format(operator="anything-but prefix", path="s"),
    ),
    (
        {"s": [{"anything-but": {"wildcard": "a**"}}]},
        p.REASON_WILDCARD.format(value="a**", path="s", problem=p.WILDCARD_CONSECUTIVE),
    ),
    (
        {"s": [{"anything-but": {"equals-ignore-case": []}}]},
        p.REASON_STRING_ARGUMENT.format(operator="anything-but equals-ignore-case", path="s"),
    ),
    ({"$or": [{"a": ["1"]}]}, p.REASON_OR.format(path="$or")),
    ({"$or": [{"a": ["1"]}, "b"]}, p.REASON_OR.format(path="$or")),
    ({"$or": [{"a": ["1"]}, {}]}, p.REASON_EMPTY_OBJECT.format(path="$or[1]")),
    ({"$or": [{"a": ["1"]}, {"b": "2"}]}, p.REASON_LEAF_NOT_ARRAY.format(path="$or[1].b")),
]


@pytest.mark.parametrize(("pattern", "reason"), INVALID, ids=[str(r[0])[:60] for r in INVALID])
def test_validate_pattern_names_the_problem(pattern: Any, reason: str) -> None:
    with pytest.raises(InvalidEventPatternException) as raised:
        validate_pattern(pattern)
    assert raised.value.code == "InvalidEventPatternException"
    assert raised.value.message == p.MSG_INVALID.format(reason=reason)


# --- properties -----------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**9), max_value=10**9),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    st.text(max_size=12),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=6), children, max_size=4),
    ),
    max_leaves=20,
)
keys = st.sampled_from(["a", "b", "c", "detail", "$or", "prefix", "numeric"])


@given(value=scalars)
def test_a_value_matches_itself_and_anything_but_excludes_it(value: Any) -> None:
    assert matches({"f": [value]}, {"f": value})
    assert matches({"f": [value]}, {"f": ["other-element", value]})
    if isinstance(value, str) or (isinstance(value, int | float) and not isinstance(value, bool)):
        assert not matches({"f": [{"anything-but": value}]}, {"f": value})


@given(pattern=json_values, event_=json_values)
def test_validation_raises_only_its_own_error_and_valid_patterns_match_safely(
    pattern: Any, event_: Any
) -> None:
    try:
        validate_pattern(pattern)
    except InvalidEventPatternException:
        return
    result = matches(pattern, event_ if isinstance(event_, dict) else {"x": event_})
    assert isinstance(result, bool)


def _valid(pattern: Any) -> bool:
    try:
        validate_pattern(pattern)
    except InvalidEventPatternException:
        return False
    return True


@given(
    a=st.dictionaries(keys, st.lists(scalars, min_size=1, max_size=3), min_size=1, max_size=2),
    b=st.dictionaries(keys, st.lists(scalars, min_size=1, max_size=3), min_size=1, max_size=2),
    event_=st.dictionaries(keys, json_values, max_size=4),
)
def test_or_is_the_union_of_its_branches(a: dict, b: dict, event_: dict) -> None:
    assume(_valid(a) and _valid(b))
    assert matches({"$or": [a, b]}, event_) == (matches(a, event_) or matches(b, event_))


@given(
    low=st.integers(-100, 100),
    high=st.integers(-100, 100),
    value=st.one_of(st.integers(-200, 200), st.floats(-200, 200, allow_nan=False)),
)
def test_numeric_ranges_agree_with_python(low: int, high: int, value: float) -> None:
    if low > high:
        low, high = high, low
    pattern = {"n": [{"numeric": [">=", low, "<", high]}]}
    validate_pattern(pattern)
    assert matches(pattern, {"n": value}) == (low <= value < high)


def _reference_wildcard(wildcard: str, value: str) -> bool:
    return (
        re.fullmatch(".*".join(re.escape(part) for part in wildcard.split("*")), value, re.S)
        is not None
    )


@given(
    wildcard=st.text(alphabet="ab*", max_size=8).filter(lambda w: "**" not in w),
    value=st.text(alphabet="ab", max_size=10),
)
def test_wildcards_agree_with_a_regular_expression(wildcard: str, value: str) -> None:
    assert matches({"s": [{"wildcard": wildcard}]}, {"s": value}) == _reference_wildcard(
        wildcard, value
    )


@given(text=st.text(max_size=20), other=st.text(max_size=20))
def test_prefix_suffix_and_ignore_case_agree_with_python(text: str, other: str) -> None:
    assert matches({"s": [{"prefix": other}]}, {"s": text}) == text.startswith(other)
    assert matches({"s": [{"suffix": other}]}, {"s": text}) == text.endswith(other)
    assert matches({"s": [{"equals-ignore-case": other}]}, {"s": text}) == (
        text.casefold() == other.casefold()
    )
