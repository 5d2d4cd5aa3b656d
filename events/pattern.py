"""EventBridge event patterns: `matches(pattern, event)` and `validate_pattern(pattern)`.

Pure functions over parsed JSON (no Django), following the EventBridge user guide and the
semantics of AWS's own matcher (aws/event-ruler, `rulesForJSONEvent`):

- A pattern is an object mirroring the event. Every field it names must match (AND); fields it
  does not name are ignored. Nested objects descend into the event's objects.
- A leaf is an array of alternatives (OR). A plain value matches exactly and case-sensitively;
  strings never equal numbers, `null` never equals `""`, and (as AWS compares numbers by their
  JSON text) the integer 300 is not the float 300.0.
- When the event's value is an array, the leaf matches if any element does. Objects inside
  arrays are matched one element at a time, so two fields of one sub-pattern must come from the
  same element ("array-consistent" matching).
- Operators, each an object with one key inside a leaf array: `prefix` and `suffix` (string or
  `{"equals-ignore-case": ...}`), `equals-ignore-case`, `wildcard` (`*` for any run, `\\*` for
  a literal star, `\\\\` for a backslash), `anything-but` (a value, a list of strings or of
  numbers, or `{"prefix"|"suffix"|"wildcard"|"equals-ignore-case": ...}`), `numeric`
  (`["<", 10]`, `[">", 0, "<=", 5]`, `["=", 3.018e2]`), `exists` (true/false; only leaves
  exist, so a field holding an object "does not exist"), and `cidr` (IPv4 or IPv6).
- `"$or": [{...}, {...}]` inside any object matches if any of its sub-patterns does.
- Only leaves (strings, numbers, booleans, null) are values: an operator other than `exists`
  never matches a missing field, and `anything-but` needs the field to be present.

Wildcards are matched without regular expressions (literal segments found left to right), so a
customer's pattern cannot make matching slow for everyone.
"""

from __future__ import annotations

import ipaddress
import json
import math
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any, NoReturn, TypeGuard

from core.errors import InvalidEventPatternException

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
# PutRule's limit on EventPattern.
MAX_PATTERN_LENGTH = 4096

# The form field (and PutRule parameter) errors belong to.
PATTERN_FIELD = "event_pattern"
_MISSING = object()


# --- validation ----------------------------------------------------------------------------------


def _fail(reason: str, **facts: object) -> NoReturn:
    raise InvalidEventPatternException(
        MSG_INVALID.format(reason=reason.format(**facts)), field=PATTERN_FIELD
    )


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def load_pattern(source: str | Mapping[str, Any]) -> dict[str, Any]:
    """Parse (when given text) and validate an event pattern; returns it as a dict.

    Raises `InvalidEventPatternException` for text that is not JSON (NaN and Infinity included),
    a pattern longer than `MAX_PATTERN_LENGTH` as compact JSON, or any `validate_pattern` problem.
    """
    if isinstance(source, str):
        try:
            pattern = json.loads(source, parse_constant=_refuse_constant)
        except ValueError as error:
            line, column, problem = getattr(error, "lineno", 1), getattr(error, "colno", 1), error
            _fail(
                REASON_NOT_JSON,
                problem=getattr(problem, "msg", str(problem)),
                line=line,
                column=column,
            )
    else:
        pattern = source
    validate_pattern(pattern)
    if len(json.dumps(pattern, separators=(",", ":"), ensure_ascii=False)) > MAX_PATTERN_LENGTH:
        _fail(REASON_TOO_LONG, limit=MAX_PATTERN_LENGTH)
    return dict(pattern)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def validate_pattern(pattern: Any) -> None:
    """Raise `InvalidEventPatternException`, naming the first problem and where it is, unless
    `pattern` (parsed JSON) is a valid event pattern."""
    if not isinstance(pattern, dict):
        _fail(REASON_NOT_OBJECT)
    _validate_object(pattern, "")


def _validate_object(pattern: Mapping[str, Any], path: str) -> None:
    if not pattern:
        _fail(REASON_EMPTY_OBJECT, path=path or "(top level)")
    for key, value in pattern.items():
        where = _join(path, key)
        if key == OR_KEY and isinstance(value, list):
            _validate_or(value, where)
        elif isinstance(value, dict):
            _validate_object(value, where)
        elif isinstance(value, list):
            _validate_leaf(value, where)
        else:
            _fail(REASON_LEAF_NOT_ARRAY, path=where)


def _validate_or(branches: list[Any], path: str) -> None:
    if len(branches) < 2 or not all(isinstance(b, dict) for b in branches):
        _fail(REASON_OR, path=path)
    for index, branch in enumerate(branches):
        _validate_object(branch, f"{path}[{index}]")


def _validate_leaf(values: list[Any], path: str) -> None:
    if not values:
        _fail(REASON_EMPTY_ARRAY, path=path)
    for value in values:
        if isinstance(value, dict):
            _validate_operator(value, path)
        elif isinstance(value, list):
            _fail(REASON_NESTED_ARRAY, path=path)
        elif isinstance(value, float) and not math.isfinite(value):
            _fail(REASON_NOT_FINITE, path=path)


def _validate_operator(operator: Mapping[str, Any], path: str) -> None:
    if len(operator) != 1:
        _fail(REASON_OPERATOR_SHAPE, path=path)
    ((name, argument),) = operator.items()
    if name not in OPERATORS:
        _fail(REASON_UNKNOWN_OPERATOR, operator=name, path=path, valid=", ".join(OPERATORS))
    if name in ("prefix", "suffix"):
        if not (isinstance(argument, str) or _is_ignore_case(argument)):
            _fail(REASON_PREFIX_ARGUMENT, operator=name, path=path)
    elif name == "equals-ignore-case":
        if not isinstance(argument, str):
            _fail(REASON_STRING_ARGUMENT, operator=name, path=path)
    elif name == "wildcard":
        _validate_wildcard(argument, path, name)
    elif name == "exists":
        if not isinstance(argument, bool):
            _fail(REASON_EXISTS_ARGUMENT, path=path)
    elif name == "numeric":
        _numeric_bounds(argument, path)
    elif name == "cidr":
        _validate_cidr(argument, path)
    else:
        _validate_anything_but(argument, path)


def _is_ignore_case(argument: object) -> bool:
    return (
        isinstance(argument, dict)
        and list(argument) == [IGNORE_CASE]
        and isinstance(argument[IGNORE_CASE], str)
    )


def _validate_wildcard(argument: object, path: str, operator: str) -> None:
    if not isinstance(argument, str):
        _fail(REASON_STRING_ARGUMENT, operator=operator, path=path)
    try:
        _wildcard_segments(argument)
    except ValueError as problem:
        _fail(REASON_WILDCARD, value=argument, path=path, problem=problem)


def _validate_cidr(argument: object, path: str) -> None:
    if not isinstance(argument, str):
        _fail(REASON_STRING_ARGUMENT, operator="cidr", path=path)
    try:
        _network(argument)
    except ValueError:
        _fail(REASON_CIDR, value=argument, path=path)


def _validate_anything_but(argument: object, path: str) -> None:
    if isinstance(argument, str):
        return
    if _is_number(argument):
        if not math.isfinite(argument):
            _fail(REASON_NOT_FINITE, path=path)
        return
    if isinstance(argument, list):
        all_strings = all(isinstance(v, str) for v in argument)
        all_numbers = all(_is_number(v) and math.isfinite(v) for v in argument)
        if argument and (all_strings or all_numbers):
            return
        _fail(REASON_ANYTHING_BUT, path=path)
    if not isinstance(argument, dict) or len(argument) != 1:
        _fail(REASON_ANYTHING_BUT, path=path)
    ((name, inner),) = argument.items()
    if name not in ANYTHING_BUT_OPERATORS:
        _fail(REASON_ANYTHING_BUT, path=path)
    if name in ("prefix", "suffix"):
        if not isinstance(inner, str):
            _fail(REASON_STRING_ARGUMENT, operator=f"anything-but {name}", path=path)
        return
    # wildcard and equals-ignore-case take one string or a list of them.
    values = inner if isinstance(inner, list) else [inner]
    if not values or not all(isinstance(v, str) for v in values):
        _fail(REASON_STRING_ARGUMENT, operator=f"anything-but {name}", path=path)
    if name == "wildcard":
        for value in values:
            _validate_wildcard(value, path, "anything-but wildcard")


def _numeric_bounds(argument: object, path: str) -> list[tuple[str, float]]:
    """The (operator, number) pairs of a `numeric` operator, validated."""
    if not isinstance(argument, list) or len(argument) not in (2, 4):
        _fail(REASON_NUMERIC_SHAPE, path=path)
    pairs = [(argument[i], argument[i + 1]) for i in range(0, len(argument), 2)]
    for operator, number in pairs:
        if operator not in NUMERIC_OPERATORS:
            _fail(REASON_NUMERIC_OPERATOR, operator=operator, path=path)
        if not _is_number(number) or not math.isfinite(number) or abs(number) > NUMERIC_LIMIT:
            _fail(REASON_NUMERIC_VALUE, path=path, value=number)
    if len(pairs) == 2:
        (low_op, low), (high_op, high) = pairs
        if low_op not in (">", ">=") or high_op not in ("<", "<=") or low > high:
            _fail(REASON_NUMERIC_RANGE, path=path)
    return pairs


# --- matching ------------------------------------------------------------------------------------


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
            if not _match_nested(expected, fields.get(key, _MISSING)):
                return False
        elif not _match_leaf(expected, list(_leaves(fields.get(key, _MISSING)))):
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
    if value is _MISSING or isinstance(value, dict):
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
        _is_number(value)
        and isinstance(value, float) == isinstance(expected, float)
        and value == expected
    )


def _fold(text: str) -> str:
    return text.casefold()


def _prefix(argument: Any, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if isinstance(argument, dict):
        return _fold(value).startswith(_fold(argument[IGNORE_CASE]))
    return value.startswith(argument)


def _suffix(argument: Any, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if isinstance(argument, dict):
        return _fold(value).endswith(_fold(argument[IGNORE_CASE]))
    return value.endswith(argument)


def _equals_ignore_case(argument: Any, value: Any) -> bool:
    return isinstance(value, str) and _fold(value) == _fold(argument)


def _wildcard(argument: Any, value: Any) -> bool:
    return isinstance(value, str) and _wildcard_match(_wildcard_segments(argument), value)


def _numeric(argument: Any, value: Any) -> bool:
    if not _is_number(value):
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
    network = _network(argument)
    return address.version == network.version and address in network


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
        return not any(_wildcard_match(_wildcard_segments(w), value) for w in excluded)
    return _fold(value) not in {_fold(e) for e in excluded}


_OPERATOR_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "prefix": _prefix,
    "suffix": _suffix,
    "equals-ignore-case": _equals_ignore_case,
    "wildcard": _wildcard,
    "anything-but": _anything_but,
    "numeric": _numeric,
    "cidr": _cidr,
}


# --- helpers -------------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text.strip(), strict=False)


@lru_cache(maxsize=1024)
def _wildcard_segments(pattern: str) -> tuple[str, ...]:
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


def _wildcard_match(segments: tuple[str, ...], value: str) -> bool:
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
