"""Event pattern validation: each malformed pattern refused with the problem it names."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given

from core.errors import InvalidEventPatternException
from events import pattern as p
from events.pattern import matches, validate_pattern
from tests.events.pattern_cases import json_values

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
