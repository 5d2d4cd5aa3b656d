"""Event pattern anything-but and exists filters, from the user guide and aws/event-ruler."""

from __future__ import annotations

from typing import Any

from events.pattern import matches, validate_pattern
from tests.events.pattern_cases import (
    AUTOSCALING_EVENT,
    EC2_EVENT,
    MACIE_EVENT,
    RULER_EVENT,
    event,
    table,
)

TABLE: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
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
]


@table(TABLE)
def test_matches(pattern: dict[str, Any], event_: dict[str, Any], expected: bool) -> None:
    validate_pattern(pattern)
    assert matches(pattern, event_) is expected
