"""Matching an event against a pattern: `matches`."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from events.pattern.syntax import (
    IGNORE_CASE,
    MISSING,
    OR_KEY,
    is_number,
    network,
    wildcard_match,
    wildcard_segments,
)


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether `event` matches `pattern` (both parsed JSON; validate the pattern first)."""
    return _match_object(pattern, event)


def _match_object(pattern: Mapping[str, Any], node: Any) -> bool:
    fields = node if isinstance(node, dict) else {}
    for key, expected in pattern.items():
        if key == OR_KEY and isinstance(expected, list):
            if not any(_match_object(branch, fields) for branch in expected):
                return False
        elif isinstance(expected, dict):
            if not _match_nested(expected, fields.get(key, MISSING)):
                return False
        elif not _match_leaf(expected, list(_leaves(fields.get(key, MISSING)))):
            return False
    return True


def _match_nested(pattern: Mapping[str, Any], value: Any) -> bool:
    # Each object of an array is tried on its own: fields from two elements never combine.
    candidates = list(_objects(value))
    if not candidates:
        # No object here: only "exists": false leaves can still match.
        return _match_object(pattern, {})
    return any(_match_object(pattern, candidate) for candidate in candidates)


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)


def _leaves(value: Any) -> Iterator[Any]:
    """The leaf values (strings, numbers, booleans, null) at a field; arrays are flattened and
    objects are not leaves."""
    if value is MISSING or isinstance(value, dict):
        return
    if isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _match_leaf(alternatives: list[Any], values: list[Any]) -> bool:
    for expected in alternatives:
        if isinstance(expected, dict):
            ((name, argument),) = expected.items()
            if name == "exists":
                if bool(values) is argument:
                    return True
                continue
            test = _OPERATOR_TESTS[name]
            if any(test(argument, value) for value in values):
                return True
        elif any(_equals(expected, value) for value in values):
            return True
    return False


def _equals(expected: Any, value: Any) -> bool:
    if expected is None or isinstance(expected, bool):
        return value is expected
    if isinstance(expected, str):
        return isinstance(value, str) and value == expected
    # Numbers: AWS compares their JSON text, so an integer never equals a float.
    return (
        is_number(value)
        and isinstance(value, float) == isinstance(expected, float)
        and value == expected
    )


def fold(text: str) -> str:
    return text.casefold()


def _prefix(argument: Any, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if isinstance(argument, dict):
        return fold(value).startswith(fold(argument[IGNORE_CASE]))
    return value.startswith(argument)


def _suffix(argument: Any, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if isinstance(argument, dict):
        return fold(value).endswith(fold(argument[IGNORE_CASE]))
    return value.endswith(argument)


def _equals_ignore_case(argument: Any, value: Any) -> bool:
    return isinstance(value, str) and fold(value) == fold(argument)


def _wildcard(argument: Any, value: Any) -> bool:
    return isinstance(value, str) and wildcard_match(wildcard_segments(argument), value)


def _numeric(argument: Any, value: Any) -> bool:
    if not is_number(value):
        return False
    for operator, bound in _numeric_pairs(argument):
        if operator == "=" and not value == bound:
            return False
        if operator == "<" and not value < bound:
            return False
        if operator == "<=" and not value <= bound:
            return False
        if operator == ">" and not value > bound:
            return False
        if operator == ">=" and not value >= bound:
            return False
    return True


def _numeric_pairs(argument: list[Any]) -> list[tuple[str, float]]:
    return [(argument[i], argument[i + 1]) for i in range(0, len(argument), 2)]


def _cidr(argument: Any, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    block = network(argument)
    return address.version == block.version and address in block


def _anything_but(argument: Any, value: Any) -> bool:
    if isinstance(argument, list):
        return not any(_equals(excluded, value) for excluded in argument)
    if not isinstance(argument, dict):
        return not _equals(argument, value)
    ((name, inner),) = argument.items()
    if not isinstance(value, str):
        return False
    if name == "prefix":
        return not value.startswith(inner)
    if name == "suffix":
        return not value.endswith(inner)
    excluded = inner if isinstance(inner, list) else [inner]
    if name == "wildcard":
        return not any(wildcard_match(wildcard_segments(w), value) for w in excluded)
    return fold(value) not in {fold(e) for e in excluded}


_OPERATOR_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "prefix": _prefix,
    "suffix": _suffix,
    "equals-ignore-case": _equals_ignore_case,
    "wildcard": _wildcard,
    "anything-but": _anything_but,
    "numeric": _numeric,
    "cidr": _cidr,
}
