"""Events and helpers shared by the event pattern tests: sample events from the EventBridge
user guide and aws/event-ruler, the table-style parametrization of `test_matches`, and
hypothesis strategies for JSON values."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import strategies as st

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


def table(rows: list[tuple[str, dict[str, Any], dict[str, Any], bool]]) -> pytest.MarkDecorator:
    """`test_matches(pattern, event_, expected)` over `rows`, each named by its first item."""
    return pytest.mark.parametrize(
        ("pattern", "event_", "expected"),
        [row[1:] for row in rows],
        ids=[row[0] for row in rows],
    )


# --- hypothesis strategies ------------------------------------------------------------------------

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
