"""JSON from strangers, and JSON that can always be written out again.

Reading (`loads`, `check`). Python's json module accepts text that no AWS service does and that
breaks code further on:
- lone UTF-16 surrogates: `"\\ud800"` escapes, and raw ED A0 80 bytes (`json.loads(bytes)`
  decodes with `surrogatepass`). Such a string cannot be encoded as UTF-8, so a response, a
  page or a download that shows it fails, and PostgreSQL refuses it;
- NaN, Infinity and -Infinity, and numbers such as 1e400 that overflow to infinity: no JSON
  column (SQLite's `json_valid` check, PostgreSQL's jsonb) stores them;
- NUL characters, which PostgreSQL cannot store in text;
- nesting as deep as the C parser's recursion limit: every recursive walker written in Python
  after it (validators, the ORM's encoder, the pattern matcher) then overflows the stack.
`loads` refuses all of these where the text comes in, and `check` does the same for a value
already parsed; both walk the value iteratively, so no depth can overflow them, and the depth is
bounded before any recursive code sees the value.

Writing (`sanitize`). Records stored before these checks existed, or written directly, must still
render: `sanitize` returns a copy that is always valid JSON (lone surrogates become U+FFFD,
non-finite numbers null, anything nested too deep or not JSON at all a placeholder).
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

from django.utils.translation import gettext_noop

from core.errors import Phrase

# Deeper than any document we accept needs: the support model nests three levels, IAM policies
# and event patterns a handful.
MAX_DEPTH = 32
# What `sanitize` writes in place of a value nested deeper than it shows.
TOO_DEEP = "[nested too deeply]"

_SURROGATE = re.compile("[\ud800-\udfff]")

# Why a text was refused (`JsonRefused.reason`).
SYNTAX = "syntax"
ENCODING = "encoding"
NUMBER = "number"
DEPTH = "depth"
SURROGATE = "surrogate"
NUL = "nul"


# What was wrong, as phrases a page translates (the API shows them in English, as AWS does).
# The json module's own syntax messages (Python 3.11's decoder) are listed so the catalogue has
# them; a message not listed is shown as the parser wrote it.
_PARSER_MESSAGES = frozenset(
    {
        gettext_noop("Expecting value"),
        gettext_noop("Expecting property name enclosed in double quotes"),
        gettext_noop("Expecting ':' delimiter"),
        gettext_noop("Expecting ',' delimiter"),
        gettext_noop("Extra data"),
        gettext_noop("Unterminated string starting at"),
        gettext_noop("Invalid control character at"),
        gettext_noop("Invalid \\escape"),
        gettext_noop("Invalid \\uXXXX escape"),
    }
)
NOT_UTF8 = gettext_noop("Invalid UTF-8 byte 0x{byte} at offset {offset}")
NOT_A_NUMBER = gettext_noop("{name} is not a JSON number")
OUT_OF_RANGE = gettext_noop("{text} is out of range for a number")
TOO_MANY_DIGITS = gettext_noop("an integer has more than {limit} digits")
NESTED_TOO_DEEP = gettext_noop("nested deeper than {limit} levels")
KEY_NOT_TEXT = gettext_noop("object keys must be strings")
NOT_A_VALUE = gettext_noop("{kind} is not a JSON value")
HAS_SURROGATE = gettext_noop("a string holds an unpaired UTF-16 surrogate")
HAS_NUL = gettext_noop("a string holds a NUL (\\u0000) character")


class JsonRefused(ValueError):
    """Text that is not JSON we accept: `reason` is one of the module's reason constants,
    `problem` says what was wrong (a phrase; `detail` is it in English), `line` and `column`
    (syntax errors) where parsing stopped."""

    def __init__(self, reason: str, problem: Phrase, *, line: int = 1, column: int = 1) -> None:
        self.problem = problem
        self.detail = str(problem)
        super().__init__(self.detail)
        self.reason = reason
        self.line = line
        self.column = column


def _parser_problem(message: str) -> Phrase:
    if message in _PARSER_MESSAGES:
        return Phrase(message)
    # Shown as written: braces in it are text, not placeholders.
    return Phrase(message.replace("{", "{{").replace("}", "}}"))


def _refuse_constant(name: str) -> Any:
    raise JsonRefused(NUMBER, Phrase(NOT_A_NUMBER, {"name": name}))


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused(NUMBER, Phrase(OUT_OF_RANGE, {"text": text[:40]}))
    return value


def loads(text: bytes | str, *, max_depth: int = MAX_DEPTH, allow_nul: bool = False) -> Any:
    """Parse JSON text strictly (see the module docstring); raise `JsonRefused` otherwise.

    Bytes must be UTF-8. Integers keep Python's own limit (4,300 digits)."""
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as error:
            facts = {"byte": f"{text[error.start]:02x}", "offset": error.start}
            raise JsonRefused(ENCODING, Phrase(NOT_UTF8, facts)) from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except JsonRefused:
        raise
    except json.JSONDecodeError as error:
        problem = _parser_problem(error.msg)
        raise JsonRefused(SYNTAX, problem, line=error.lineno, column=error.colno) from None
    except RecursionError:
        raise JsonRefused(DEPTH, Phrase(NESTED_TOO_DEEP, {"limit": max_depth})) from None
    except ValueError:
        # An integer literal of more than 4,300 digits (Python's int-to-str limit).
        limit = sys.get_int_max_str_digits()
        raise JsonRefused(NUMBER, Phrase(TOO_MANY_DIGITS, {"limit": limit})) from None
    check(value, max_depth=max_depth, allow_nul=allow_nul)
    return value


def check(value: Any, *, max_depth: int = MAX_DEPTH, allow_nul: bool = False) -> None:
    """Raise `JsonRefused` unless `value` (parsed JSON, or a value about to be stored as JSON)
    nests at most `max_depth` containers deep, holds only strings that are valid Unicode (and,
    unless `allow_nul`, without NUL), finite numbers, booleans and None. Iterative: any depth
    is safe to check."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item, allow_nul)
        elif isinstance(item, dict):
            if depth > max_depth:
                raise JsonRefused(DEPTH, Phrase(NESTED_TOO_DEEP, {"limit": max_depth}))
            for key, member in item.items():
                if not isinstance(key, str):
                    raise JsonRefused(SYNTAX, Phrase(KEY_NOT_TEXT))
                _check_text(key, allow_nul)
                stack.append((member, depth + 1))
        elif isinstance(item, list | tuple):
            if depth > max_depth:
                raise JsonRefused(DEPTH, Phrase(NESTED_TOO_DEEP, {"limit": max_depth}))
            stack.extend((member, depth + 1) for member in item)
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise JsonRefused(NUMBER, Phrase(NOT_A_NUMBER, {"name": item}))
        elif item is not None and not isinstance(item, bool | int):
            raise JsonRefused(SYNTAX, Phrase(NOT_A_VALUE, {"kind": type(item).__name__}))


def _check_text(text: str, allow_nul: bool) -> None:
    # isascii() is O(1) for str: only non-ASCII text is searched for surrogates.
    if not text.isascii() and _SURROGATE.search(text):
        raise JsonRefused(SURROGATE, Phrase(HAS_SURROGATE))
    if not allow_nul and "\x00" in text:
        raise JsonRefused(NUL, Phrase(HAS_NUL))


def scrub(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD, so it always encodes as UTF-8."""
    if text.isascii():
        return text
    return _SURROGATE.sub("\ufffd", text)


def sanitize(value: Any, *, max_depth: int = MAX_DEPTH * 2) -> Any:
    """A copy of `value` that `json.dumps(..., allow_nan=False)` always accepts and that always
    encodes as UTF-8, whatever was stored: lone surrogates become U+FFFD, non-finite numbers
    None, containers deeper than `max_depth` and values of other types a placeholder string.
    Iterative, so any depth is safe."""
    holder: list[Any] = [None]
    # (value, depth, container to put the copy in, key or index there)
    stack: list[tuple[Any, int, Any, Any]] = [(value, 1, holder, 0)]
    while stack:
        item, depth, parent, slot = stack.pop()
        copy: Any
        if isinstance(item, str):
            copy = scrub(item)
        elif isinstance(item, bool) or item is None or isinstance(item, int):
            copy = item
        elif isinstance(item, float):
            copy = item if math.isfinite(item) else None
        elif isinstance(item, dict | list | tuple):
            if depth > max_depth:
                copy = TOO_DEEP
            elif isinstance(item, dict):
                copy = {}
                for key, member in item.items():
                    name = scrub(key if isinstance(key, str) else str(key))
                    copy[name] = None
                    stack.append((member, depth + 1, copy, name))
            else:
                copy = [None] * len(item)
                stack.extend((member, depth + 1, copy, index) for index, member in enumerate(item))
        else:
            copy = scrub(str(item))
        parent[slot] = copy
    return holder[0]


class StoredDecoder(json.JSONDecoder):
    """Decodes whatever a JSON column holds (for `models.JSONField(decoder=...)`): a value nested
    too deeply for Python's parser becomes `TOO_DEEP` instead of failing the whole query (a
    row's fields are decoded as the row is read: one bad record would break every list and
    export it falls in). Pass what it returns through `sanitize` before showing it."""

    def decode(self, s: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().decode(s, *args, **kwargs)
        except RecursionError:
            return TOO_DEEP


class StrictDecoder(json.JSONDecoder):
    """A `json.JSONDecoder` that parses with `loads` (for `forms.JSONField(decoder=...)`): what
    `loads` refuses is a `json.JSONDecodeError`, which forms report as invalid JSON."""

    def decode(self, s: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return loads(s)
        except JsonRefused as error:
            raise json.JSONDecodeError(error.detail, s, 0) from None
