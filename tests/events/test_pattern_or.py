"""Event pattern $or, a complex example and the rules Support Center's own events meet."""

from __future__ import annotations

from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from core.errors import InvalidEventPatternException
from events.pattern import matches, validate_pattern
from tests.events.pattern_cases import (
    CLOUDWATCH,
    RULER_EVENT,
    TA_EVENT,
    json_values,
    keys,
    scalars,
    table,
)

TABLE: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
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


@table(TABLE)
def test_matches(pattern: dict[str, Any], event_: dict[str, Any], expected: bool) -> None:
    validate_pattern(pattern)
    assert matches(pattern, event_) is expected


# --- properties -----------------------------------------------------------------------------------


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
