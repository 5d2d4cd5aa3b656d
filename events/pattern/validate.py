"""Validating event patterns: `load_pattern` (from JSON text) and `validate_pattern`."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, NoReturn

from core import safejson
from core.errors import InvalidEventPatternException, Phrase
from events.pattern.syntax import (
    ANYTHING_BUT_OPERATORS,
    IGNORE_CASE,
    INVALID_TEXT_NUL,
    INVALID_TEXT_SURROGATE,
    MAX_PATTERN_DEPTH,
    MAX_PATTERN_LENGTH,
    MAX_PATTERN_TEXT,
    MSG_INVALID,
    NUMERIC_LIMIT,
    NUMERIC_OPERATORS,
    OPERATORS,
    OR_KEY,
    PATTERN_FIELD,
    REASON_ANYTHING_BUT,
    REASON_CIDR,
    REASON_EMPTY_ARRAY,
    REASON_EMPTY_OBJECT,
    REASON_EXISTS_ARGUMENT,
    REASON_INVALID_TEXT,
    REASON_LEAF_NOT_ARRAY,
    REASON_NESTED_ARRAY,
    REASON_NOT_FINITE,
    REASON_NOT_JSON,
    REASON_NOT_OBJECT,
    REASON_NUMERIC_OPERATOR,
    REASON_NUMERIC_RANGE,
    REASON_NUMERIC_SHAPE,
    REASON_NUMERIC_VALUE,
    REASON_OPERATOR_SHAPE,
    REASON_OR,
    REASON_PREFIX_ARGUMENT,
    REASON_STRING_ARGUMENT,
    REASON_TOO_DEEP,
    REASON_TOO_LONG,
    REASON_UNKNOWN_OPERATOR,
    REASON_WILDCARD,
    is_number,
    network,
    wildcard_segments,
)


def _fail(reason: str, **facts: object) -> NoReturn:
    raise InvalidEventPatternException(
        MSG_INVALID, params={"reason": Phrase(reason, facts)}, field=PATTERN_FIELD
    )


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def load_pattern(source: str | Mapping[str, Any]) -> dict[str, Any]:
    """Parse (when given text) and validate an event pattern; returns it as a dict.

    Raises `InvalidEventPatternException` for text that is not JSON (NaN and Infinity included,
    see `core.safejson`), text longer than `MAX_PATTERN_TEXT` or a pattern longer than
    `MAX_PATTERN_LENGTH` as compact JSON, nesting deeper than `MAX_PATTERN_DEPTH`, strings with
    lone surrogates or NUL, or any `validate_pattern` problem.
    """
    if isinstance(source, str):
        if len(source) > MAX_PATTERN_TEXT:
            _fail(REASON_TOO_LONG, limit=MAX_PATTERN_LENGTH)
        try:
            pattern = safejson.loads(source, max_depth=MAX_PATTERN_DEPTH)
        except safejson.JsonRefused as refused:
            _refused(refused)
    else:
        pattern = source
        try:
            safejson.check(pattern, max_depth=MAX_PATTERN_DEPTH)
        except safejson.JsonRefused as refused:
            _refused(refused)
    # Only now that the depth is bounded may the recursive validator walk it.
    validate_pattern(pattern)
    if len(json.dumps(pattern, separators=(",", ":"), ensure_ascii=False)) > MAX_PATTERN_LENGTH:
        _fail(REASON_TOO_LONG, limit=MAX_PATTERN_LENGTH)
    return dict(pattern)


def _refused(refused: safejson.JsonRefused) -> NoReturn:
    if refused.reason == safejson.DEPTH:
        _fail(REASON_TOO_DEEP, limit=MAX_PATTERN_DEPTH)
    if refused.reason == safejson.SURROGATE:
        _fail(REASON_INVALID_TEXT, problem=Phrase(INVALID_TEXT_SURROGATE))
    if refused.reason == safejson.NUL:
        _fail(REASON_INVALID_TEXT, problem=Phrase(INVALID_TEXT_NUL))
    _fail(REASON_NOT_JSON, problem=refused.problem, line=refused.line, column=refused.column)


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
        wildcard_segments(argument)
    except ValueError as problem:
        _fail(REASON_WILDCARD, value=argument, path=path, problem=Phrase(str(problem)))


def _validate_cidr(argument: object, path: str) -> None:
    if not isinstance(argument, str):
        _fail(REASON_STRING_ARGUMENT, operator="cidr", path=path)
    try:
        network(argument)
    except ValueError:
        _fail(REASON_CIDR, value=argument, path=path)


def _validate_anything_but(argument: object, path: str) -> None:
    if isinstance(argument, str):
        return
    if is_number(argument):
        if not math.isfinite(argument):
            _fail(REASON_NOT_FINITE, path=path)
        return
    if isinstance(argument, list):
        all_strings = all(isinstance(v, str) for v in argument)
        all_numbers = all(is_number(v) and math.isfinite(v) for v in argument)
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
        if not is_number(number) or not math.isfinite(number) or abs(number) > NUMERIC_LIMIT:
            _fail(REASON_NUMERIC_VALUE, path=path, value=number)
    if len(pairs) == 2:
        (low_op, low), (high_op, high) = pairs
        if low_op not in (">", ">=") or high_op not in ("<", "<=") or low > high:
            _fail(REASON_NUMERIC_RANGE, path=path)
    return pairs
