"""Event pattern matching of plain values: exact strings, null, numbers, booleans, arrays."""

from __future__ import annotations

from typing import Any

from hypothesis import given

from events.pattern import matches, validate_pattern
from tests.events.pattern_cases import (
    AUTOSCALING_EVENT,
    EC2_EVENT,
    EMPLOYEES,
    MACIE_EVENT,
    RULER_EVENT,
    event,
    scalars,
    table,
)

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
]


@table(TABLE)
def test_matches(pattern: dict[str, Any], event_: dict[str, Any], expected: bool) -> None:
    validate_pattern(pattern)
    assert matches(pattern, event_) is expected


# --- properties -----------------------------------------------------------------------------------


@given(value=scalars)
def test_a_value_matches_itself_and_anything_but_excludes_it(value: Any) -> None:
    assert matches({"f": [value]}, {"f": value})
    assert matches({"f": [value]}, {"f": ["other-element", value]})
    if isinstance(value, str) or (isinstance(value, int | float) and not isinstance(value, bool)):
        assert not matches({"f": [{"anything-but": value}]}, {"f": value})
