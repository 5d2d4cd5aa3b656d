"""Event pattern string filters: prefix, suffix, equals-ignore-case and wildcard."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from events.pattern import matches, validate_pattern
from tests.events.pattern_cases import EC2_EVENT, RULER_EVENT, table

TABLE: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
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
]


@table(TABLE)
def test_matches(pattern: dict[str, Any], event_: dict[str, Any], expected: bool) -> None:
    validate_pattern(pattern)
    assert matches(pattern, event_) is expected


# --- properties -----------------------------------------------------------------------------------


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
