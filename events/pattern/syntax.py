"""The pattern language's vocabulary: operators, limits, the messages that explain a refusal,
and the parsing helpers matching and validation share (wildcards, CIDR blocks)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import TypeGuard

OR_KEY = "$or"
IGNORE_CASE = "equals-ignore-case"
OPERATORS = (
    "prefix",
    "suffix",
    "equals-ignore-case",
    "wildcard",
    "anything-but",
    "numeric",
    "exists",
    "cidr",
)
ANYTHING_BUT_OPERATORS = ("prefix", "suffix", "wildcard", "equals-ignore-case")
NUMERIC_OPERATORS = ("=", "<", "<=", ">", ">=")
# AWS's matcher accepts numbers in this range (15 significant digits, 6 after the point).
NUMERIC_LIMIT = 5.0e9

MSG_INVALID = "Event pattern is not valid. Reason: {reason}"
REASON_NOT_OBJECT = "The event pattern must be a JSON object."
REASON_EMPTY_OBJECT = 'The object at "{path}" is empty; name at least one field to match.'
REASON_LEAF_NOT_ARRAY = (
    'The value of "{path}" must be an array of values to match, like ["value"], or an object.'
)
REASON_EMPTY_ARRAY = 'The array at "{path}" is empty; give at least one value to match.'
REASON_NESTED_ARRAY = 'The array at "{path}" contains an array; values must be plain values.'
REASON_OPERATOR_SHAPE = 'Each operator at "{path}" must be an object with exactly one key.'
REASON_UNKNOWN_OPERATOR = 'Unknown operator "{operator}" at "{path}". Valid operators: {valid}.'
REASON_STRING_ARGUMENT = 'The "{operator}" operator at "{path}" takes a string.'
REASON_PREFIX_ARGUMENT = (
    'The "{operator}" operator at "{path}" takes a string or {{"equals-ignore-case": "..."}}.'
)
REASON_EXISTS_ARGUMENT = 'The "exists" operator at "{path}" takes true or false.'
REASON_NOT_FINITE = 'The number at "{path}" must be finite.'
REASON_NUMERIC_SHAPE = (
    'The "numeric" operator at "{path}" takes [operator, number] or a range such as '
    '[">", 0, "<=", 5].'
)
REASON_NUMERIC_OPERATOR = (
    'Unknown numeric operator "{operator}" at "{path}"; use =, <, <=, > or >=.'
)
REASON_NUMERIC_VALUE = (
    'The "numeric" operator at "{path}" needs numbers between -5e9 and 5e9, not {value}.'
)
REASON_NUMERIC_RANGE = (
    'A numeric range at "{path}" must be a lower bound (> or >=) then an upper bound (< or <=), '
    "with the lower bound not above the upper."
)
REASON_ANYTHING_BUT = (
    'The "anything-but" operator at "{path}" takes a string, a number, a list of strings, a list '
    'of numbers, or an object with "prefix", "suffix", "wildcard" or "equals-ignore-case".'
)
REASON_WILDCARD = 'Invalid wildcard "{value}" at "{path}": {problem}'
WILDCARD_CONSECUTIVE = "consecutive * characters are not allowed."
WILDCARD_ESCAPE = "a backslash may only escape * or another backslash."
REASON_CIDR = 'Invalid CIDR block "{value}" at "{path}".'
REASON_OR = 'The "$or" at "{path}" must be an array of at least two pattern objects.'
REASON_NOT_JSON = "The text is not valid JSON: {problem} (line {line}, column {column})."
REASON_TOO_LONG = "The event pattern is longer than {limit} characters."
REASON_TOO_DEEP = "The event pattern nests deeper than {limit} levels."
REASON_INVALID_TEXT = "The text holds {problem}; strings must be valid Unicode without NUL."
# PutRule's limit on EventPattern.
MAX_PATTERN_LENGTH = 4096
# The longest text parsed at all (the rule form's limit): whitespace and indentation do not count
# toward MAX_PATTERN_LENGTH, but text is not parsed without a bound.
MAX_PATTERN_TEXT = 20_000
# Objects and arrays nested in one another; real patterns use a handful, and the validator and
# the matcher walk patterns recursively.
MAX_PATTERN_DEPTH = 32

# The form field (and PutRule parameter) errors belong to.
PATTERN_FIELD = "event_pattern"
MISSING = object()


def is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


@lru_cache(maxsize=1024)
def network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text.strip(), strict=False)


@lru_cache(maxsize=1024)
def wildcard_segments(pattern: str) -> tuple[str, ...]:
    """The literal text between the unescaped stars of a wildcard (one more than the stars).
    Raises ValueError for consecutive stars or a backslash escaping anything but * or \\."""
    segments: list[str] = []
    current: list[str] = []
    index = 0
    previous_star = False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            following = pattern[index + 1 : index + 2]
            if following not in ("*", "\\"):
                raise ValueError(WILDCARD_ESCAPE)
            current.append(following)
            index += 2
            previous_star = False
            continue
        if char == "*":
            if previous_star:
                raise ValueError(WILDCARD_CONSECUTIVE)
            segments.append("".join(current))
            current = []
            previous_star = True
        else:
            current.append(char)
            previous_star = False
        index += 1
    segments.append("".join(current))
    return tuple(segments)


def wildcard_match(segments: tuple[str, ...], value: str) -> bool:
    """Glob matching with `*` only: anchored first and last segments, the middle ones found
    left to right (leftmost is always safe for `*`-only globs). Linear in the value's length."""
    if len(segments) == 1:
        return value == segments[0]
    first, *middle, last = segments
    if len(value) < len(first) + len(last):
        return False
    if not value.startswith(first) or not value.endswith(last):
        return False
    position, end = len(first), len(value) - len(last)
    for segment in middle:
        found = value.find(segment, position, end)
        if found < 0:
            return False
        position = found + len(segment)
    return True
