"""The pattern language's vocabulary: operators, limits, the messages that explain a refusal,
and the parsing helpers matching and validation share (wildcards, CIDR blocks)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import TypeGuard

from django.utils.translation import gettext_noop

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

# Messages and reasons are filled in by the error (core.errors.Phrase): pages show them
# translated, the API as written here.
MSG_INVALID = gettext_noop("Event pattern is not valid. Reason: {reason}")
REASON_NOT_OBJECT = gettext_noop("The event pattern must be a JSON object.")
REASON_EMPTY_OBJECT = gettext_noop(
    'The object at "{path}" is empty; name at least one field to match.'
)
REASON_LEAF_NOT_ARRAY = gettext_noop(
    'The value of "{path}" must be an array of values to match, like ["value"], or an object.'
)
REASON_EMPTY_ARRAY = gettext_noop(
    'The array at "{path}" is empty; give at least one value to match.'
)
REASON_NESTED_ARRAY = gettext_noop(
    'The array at "{path}" contains an array; values must be plain values.'
)
REASON_OPERATOR_SHAPE = gettext_noop(
    'Each operator at "{path}" must be an object with exactly one key.'
)
REASON_UNKNOWN_OPERATOR = gettext_noop(
    'Unknown operator "{operator}" at "{path}". Valid operators: {valid}.'
)
REASON_STRING_ARGUMENT = gettext_noop('The "{operator}" operator at "{path}" takes a string.')
REASON_PREFIX_ARGUMENT = gettext_noop(
    'The "{operator}" operator at "{path}" takes a string or {{"equals-ignore-case": "..."}}.'
)
REASON_EXISTS_ARGUMENT = gettext_noop('The "exists" operator at "{path}" takes true or false.')
REASON_NOT_FINITE = gettext_noop('The number at "{path}" must be finite.')
REASON_NUMERIC_SHAPE = gettext_noop(
    'The "numeric" operator at "{path}" takes [operator, number] or a range such as '
    '[">", 0, "<=", 5].'
)
REASON_NUMERIC_OPERATOR = gettext_noop(
    'Unknown numeric operator "{operator}" at "{path}"; use =, <, <=, > or >=.'
)
REASON_NUMERIC_VALUE = gettext_noop(
    'The "numeric" operator at "{path}" needs numbers between -5e9 and 5e9, not {value}.'
)
REASON_NUMERIC_RANGE = gettext_noop(
    'A numeric range at "{path}" must be a lower bound (> or >=) then an upper bound (< or <=), '
    "with the lower bound not above the upper."
)
REASON_ANYTHING_BUT = gettext_noop(
    'The "anything-but" operator at "{path}" takes a string, a number, a list of strings, a list '
    'of numbers, or an object with "prefix", "suffix", "wildcard" or "equals-ignore-case".'
)
REASON_WILDCARD = gettext_noop('Invalid wildcard "{value}" at "{path}": {problem}')
WILDCARD_CONSECUTIVE = gettext_noop("consecutive * characters are not allowed.")
WILDCARD_ESCAPE = gettext_noop("a backslash may only escape * or another backslash.")
REASON_CIDR = gettext_noop('Invalid CIDR block "{value}" at "{path}".')
REASON_OR = gettext_noop('The "$or" at "{path}" must be an array of at least two pattern objects.')
REASON_NOT_JSON = gettext_noop(
    "The text is not valid JSON: {problem} (line {line}, column {column})."
)
REASON_TOO_LONG = gettext_noop("The event pattern is longer than {limit} characters.")
REASON_TOO_DEEP = gettext_noop("The event pattern nests deeper than {limit} levels.")
INVALID_TEXT_SURROGATE = gettext_noop("an unpaired UTF-16 surrogate")
INVALID_TEXT_NUL = gettext_noop("a NUL (\\u0000) character")
REASON_INVALID_TEXT = gettext_noop(
    "The text holds {problem}; strings must be valid Unicode without NUL."
)
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
