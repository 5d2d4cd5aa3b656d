"""IAM-style policy evaluation: a pure function, no database (Django only marks the validator's
messages for translation: its problems are `Phrase`s, English as written, translated on pages).

Semantics follow IAM's evaluation logic for identity policies:
- everything is denied by default (implicit deny);
- an applicable Allow allows;
- an applicable explicit Deny beats every Allow, whatever the order;
- actions match case-insensitively, with `*` (any run) and `?` (one character) wildcards;
  `NotAction` / `NotResource` invert matching.
Conditions are not supported; documents with them are refused by `validate_document`, and if one
is met anyway a conditional Allow never applies while a conditional Deny always does (fail closed).
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext_noop

from core import safejson
from core.errors import Phrase

VERSIONS = ("2012-10-17", "2008-10-17")
KNOWN_SERVICES = (
    "support",
    "trustedadvisor",
    "events",
    "cloudtrail",
    "iam",
    "support-console",
    "*",
)
# IAM's limit for a customer managed policy, whitespace not counted.
MAX_POLICY_LENGTH = 6144
# Objects and arrays nested in one another (a Condition block is the deepest IAM has: four).
MAX_POLICY_DEPTH = 32
MSG_TOO_LONG = gettext_noop(
    "The policy is longer than {limit} characters (whitespace not counted)."
)
MSG_TOO_DEEP = gettext_noop("The policy nests deeper than {limit} levels.")
# {problem} is the JSON parser's own English.
MSG_NOT_JSON_AT = gettext_noop("The policy is not valid JSON: {problem} (line {line}).")
MSG_NOT_JSON = gettext_noop("The policy is not valid JSON: {problem}.")
MSG_NOT_OBJECT = gettext_noop("The policy must be a JSON object.")
MSG_UNKNOWN_TOP = gettext_noop("Unknown top-level element(s): {names}.")
MSG_VERSION = gettext_noop("Version must be one of {versions}.")
MSG_NO_STATEMENT = gettext_noop("The policy needs a Statement.")
MSG_STATEMENT_SHAPE = gettext_noop("Statement must be an object or a non-empty list of objects.")
# {where} is a statement (`WHERE_STATEMENT`) or one of its elements (`WHERE_ELEMENT`).
WHERE_STATEMENT = gettext_noop("Statement {index}")
WHERE_ELEMENT = gettext_noop("Statement {index} {element}")
MSG_STATEMENT_OBJECT = gettext_noop("{where}: must be an object.")
MSG_STATEMENT_UNKNOWN = gettext_noop("{where}: unknown element(s) {names}.")
MSG_EFFECT = gettext_noop("{where}: Effect must be 'Allow' or 'Deny'.")
MSG_ONE_ACTION = gettext_noop("{where}: exactly one of Action or NotAction is required.")
MSG_ONE_RESOURCE = gettext_noop("{where}: exactly one of Resource or NotResource is required.")
MSG_CONDITION = gettext_noop("{where}: Condition is not supported.")
MSG_STRINGS = gettext_noop("{where}: must be a string or a non-empty list of strings.")
MSG_EMPTY_ACTION = gettext_noop("{where}: every action must be a non-empty string.")
MSG_ACTION_SHAPE = gettext_noop("{where}: '{action}' must look like 'service:Action'.")
MSG_UNKNOWN_SERVICE = gettext_noop("{where}: unknown service prefix '{service}'.")
_WHITESPACE = re.compile(r"\s+")
_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}


class Decision(enum.Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit_deny"
    IMPLICIT_DENY = "implicit_deny"

    @property
    def allowed(self) -> bool:
        return self is Decision.ALLOW


@lru_cache(maxsize=1024)
def _pattern(glob: str) -> re.Pattern[str]:
    parts = []
    for char in glob:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _matches(globs: str | list[str], value: str) -> bool:
    if isinstance(globs, str):
        globs = [globs]
    return any(_pattern(g).fullmatch(value) is not None for g in globs)


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statement = document.get("Statement", [])
    if isinstance(statement, Mapping):
        return [statement]
    return [s for s in statement if isinstance(s, Mapping)]


def _applies(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    if "Action" in statement:
        action_ok = _matches(statement["Action"], action)
    elif "NotAction" in statement:
        action_ok = not _matches(statement["NotAction"], action)
    else:
        return False
    if not action_ok:
        return False
    if "Resource" in statement:
        return _matches(statement["Resource"], resource)
    if "NotResource" in statement:
        return not _matches(statement["NotResource"], resource)
    return False


def evaluate(policies: Iterable[Mapping[str, Any]], action: str, resource: str = "*") -> Decision:
    """Decide whether the policy documents allow `action` on `resource`."""
    allowed = False
    for document in policies:
        for statement in _statements(document):
            effect = statement.get("Effect")
            conditional = "Condition" in statement
            if not _applies(statement, action, resource):
                continue
            if effect == "Deny":
                return Decision.EXPLICIT_DENY
            if effect == "Allow" and not conditional:
                allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def _check_action(value: Any, where: Phrase, errors: list[Phrase]) -> None:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values:
        errors.append(Phrase(MSG_STRINGS, {"where": where}))
        return
    for item in values:
        if not isinstance(item, str) or not item:
            errors.append(Phrase(MSG_EMPTY_ACTION, {"where": where}))
            continue
        if item == "*":
            continue
        service, sep, name = item.partition(":")
        if not sep or not name:
            errors.append(Phrase(MSG_ACTION_SHAPE, {"where": where, "action": item}))
        elif service.lower() not in KNOWN_SERVICES:
            errors.append(Phrase(MSG_UNKNOWN_SERVICE, {"where": where, "service": service}))


def _check_resource(value: Any, where: Phrase, errors: list[Phrase]) -> None:
    values = [value] if isinstance(value, str) else value
    if (
        not isinstance(values, list)
        or not values
        or not all(isinstance(v, str) and v for v in values)
    ):
        errors.append(Phrase(MSG_STRINGS, {"where": where}))


def validate_document(document: Any) -> list[Phrase]:
    """Return the problems with a policy document (an empty list when it is valid)."""
    return parse_document(document)[1]


def parse_document(document: Any) -> tuple[Any, list[Phrase]]:
    """The document (parsed when given as JSON text) and its problems (none when it is valid).

    Its size and depth are bounded before anything walks it: at most `MAX_POLICY_LENGTH`
    characters without whitespace (IAM's limit for a managed policy) and `MAX_POLICY_DEPTH`
    levels; text must be strict JSON (no NaN or Infinity, no lone surrogates or NUL: see
    `core.safejson`)."""
    try:
        if isinstance(document, str):
            if len(_WHITESPACE.sub("", document)) > MAX_POLICY_LENGTH:
                return document, [Phrase(MSG_TOO_LONG, {"limit": MAX_POLICY_LENGTH})]
            document = safejson.loads(document, max_depth=MAX_POLICY_DEPTH)
        else:
            safejson.check(document, max_depth=MAX_POLICY_DEPTH)
            compact = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
            if len(_WHITESPACE.sub("", compact)) > MAX_POLICY_LENGTH:
                return document, [Phrase(MSG_TOO_LONG, {"limit": MAX_POLICY_LENGTH})]
    except safejson.JsonRefused as refused:
        if refused.reason == safejson.DEPTH:
            return document, [Phrase(MSG_TOO_DEEP, {"limit": MAX_POLICY_DEPTH})]
        if refused.reason == safejson.SYNTAX:
            facts = {"problem": refused.problem, "line": refused.line}
            return document, [Phrase(MSG_NOT_JSON_AT, facts)]
        return document, [Phrase(MSG_NOT_JSON, {"problem": refused.problem})]
    return document, _problems(document)


def _problems(document: Any) -> list[Phrase]:
    if not isinstance(document, dict):
        return [Phrase(MSG_NOT_OBJECT)]
    errors: list[Phrase] = []
    unknown = set(document) - {"Version", "Id", "Statement"}
    if unknown:
        errors.append(Phrase(MSG_UNKNOWN_TOP, {"names": ", ".join(sorted(unknown))}))
    if document.get("Version", VERSIONS[0]) not in VERSIONS:
        errors.append(Phrase(MSG_VERSION, {"versions": ", ".join(VERSIONS)}))
    statement = document.get("Statement")
    if statement is None:
        errors.append(Phrase(MSG_NO_STATEMENT))
        return errors
    statements = [statement] if isinstance(statement, dict) else statement
    if not isinstance(statements, list) or not statements:
        errors.append(Phrase(MSG_STATEMENT_SHAPE))
        return errors
    for index, stmt in enumerate(statements, start=1):
        where = Phrase(WHERE_STATEMENT, {"index": index})
        if not isinstance(stmt, dict):
            errors.append(Phrase(MSG_STATEMENT_OBJECT, {"where": where}))
            continue
        unknown = set(stmt) - _STATEMENT_KEYS
        if unknown:
            names = ", ".join(sorted(unknown))
            errors.append(Phrase(MSG_STATEMENT_UNKNOWN, {"where": where, "names": names}))
        if stmt.get("Effect") not in ("Allow", "Deny"):
            errors.append(Phrase(MSG_EFFECT, {"where": where}))
        if ("Action" in stmt) == ("NotAction" in stmt):
            errors.append(Phrase(MSG_ONE_ACTION, {"where": where}))
        for key in ("Action", "NotAction"):
            if key in stmt:
                element = Phrase(WHERE_ELEMENT, {"index": index, "element": key})
                _check_action(stmt[key], element, errors)
        if ("Resource" in stmt) == ("NotResource" in stmt):
            errors.append(Phrase(MSG_ONE_RESOURCE, {"where": where}))
        for key in ("Resource", "NotResource"):
            if key in stmt:
                element = Phrase(WHERE_ELEMENT, {"index": index, "element": key})
                _check_resource(stmt[key], element, errors)
        if "Condition" in stmt:
            errors.append(Phrase(MSG_CONDITION, {"where": where}))
    return errors
