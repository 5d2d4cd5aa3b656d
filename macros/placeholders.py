"""The placeholders of a macro's text, filled by plain substitution.

Operators write macros and engineers send them to customers, so a macro's text is never a
template: `{customer_name}` is replaced by a string and nothing else in the text means anything.
Python's `str.format` is no safer (`{case.account.__class__}` reads attributes), hence a regular
expression and one pass over the text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# What engineers may write, in the order the admin's help lists them.
PLACEHOLDERS = ("customer_name", "case_id", "display_id", "subject", "engineer_name")

# Anything that looks like a placeholder: a name in one or more braces, spaces allowed, so that
# `{{ customer_name }}` (template habits) and typos are refused instead of sent as they are.
# Other braces (JSON, code) are text.
_CANDIDATE = re.compile(r"\{+\s*([A-Za-z_]\w*)\s*\}+")


def unknown(text: str) -> list[str]:
    """The placeholder-like pieces of `text` that are not exactly one of `PLACEHOLDERS` in
    single braces, in order of appearance, each once."""
    found: dict[str, None] = {}
    for match in _CANDIDATE.finditer(text):
        if match.group(0) != "{" + match.group(1) + "}" or match.group(1) not in PLACEHOLDERS:
            found[match.group(0)] = None
    return list(found)


def fill(text: str, values: Mapping[str, str]) -> str:
    """`text` with each known placeholder replaced by its value. One pass: a value that contains
    a placeholder (a customer's subject can) is not filled in turn."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if match.group(0) == "{" + name + "}" and name in values:
            return values[name]
        return match.group(0)

    return _CANDIDATE.sub(replace, text)
