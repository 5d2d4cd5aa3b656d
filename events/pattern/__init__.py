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

from events.pattern.match import matches
from events.pattern.syntax import (
    MAX_PATTERN_DEPTH,
    MAX_PATTERN_LENGTH,
    MAX_PATTERN_TEXT,
    MSG_INVALID,
    OPERATORS,
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
    WILDCARD_CONSECUTIVE,
    WILDCARD_ESCAPE,
)
from events.pattern.validate import load_pattern, validate_pattern

__all__ = [
    "MAX_PATTERN_DEPTH",
    "MAX_PATTERN_LENGTH",
    "MAX_PATTERN_TEXT",
    "MSG_INVALID",
    "OPERATORS",
    "PATTERN_FIELD",
    "REASON_ANYTHING_BUT",
    "REASON_CIDR",
    "REASON_EMPTY_ARRAY",
    "REASON_EMPTY_OBJECT",
    "REASON_EXISTS_ARGUMENT",
    "REASON_INVALID_TEXT",
    "REASON_LEAF_NOT_ARRAY",
    "REASON_NESTED_ARRAY",
    "REASON_NOT_FINITE",
    "REASON_NOT_JSON",
    "REASON_NOT_OBJECT",
    "REASON_NUMERIC_OPERATOR",
    "REASON_NUMERIC_RANGE",
    "REASON_NUMERIC_SHAPE",
    "REASON_NUMERIC_VALUE",
    "REASON_OPERATOR_SHAPE",
    "REASON_OR",
    "REASON_PREFIX_ARGUMENT",
    "REASON_STRING_ARGUMENT",
    "REASON_TOO_DEEP",
    "REASON_TOO_LONG",
    "REASON_UNKNOWN_OPERATOR",
    "REASON_WILDCARD",
    "WILDCARD_CONSECUTIVE",
    "WILDCARD_ESCAPE",
    "load_pattern",
    "matches",
    "validate_pattern",
]
