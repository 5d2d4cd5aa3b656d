"""The English texts checks write into their metadata, and their translation for the pages.

The API returns a check's metadata as AWS does: in English, whatever `language` asks for (only a
check's name and description follow it), and the CSV download keeps it so. The pages show the
same stored values in the reader's language. A check marks each text it writes with
`gettext_noop` (so it reaches the catalogue) and registers it here with `phrase`; a sentence
with a value in it (`{}`) is registered with `phrase_template`, and recognised by its shape.

Only registered texts are translated: a resource's own name that happens to be a word we
translate elsewhere stays as the customer wrote it, unless it equals a registered value exactly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.utils.translation import gettext

PHRASES: set[str] = set()
TEMPLATES: list[tuple[re.Pattern[str], str]] = []
# A template's value may be a list of registered words ("uppercase letters, numbers").
LIST_SEPARATOR = ", "


def phrase(message: str) -> str:
    """Register `message` (a `gettext_noop` literal) as a metadata value pages translate."""
    PHRASES.add(message)
    return message


def phrase_template(message: str) -> str:
    """Register `message`, a sentence with `{}` placeholders filled in by the check."""
    parts = (re.escape(part) for part in message.split("{}"))
    TEMPLATES.append((re.compile("(.+?)".join(parts) + r"\Z", re.DOTALL), message))
    return message


def _fill(value: str) -> str:
    items = value.split(LIST_SEPARATOR)
    if all(item in PHRASES for item in items):
        return LIST_SEPARATOR.join(gettext(item) for item in items)
    return value


def value_label(value: object) -> str:
    """A stored metadata value in the active language ("" for a missing value)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    if value in PHRASES:
        return gettext(value)
    for pattern, message in TEMPLATES:
        match = pattern.match(value)
        if match:
            return gettext(message).format(*(_fill(group) for group in match.groups()))
    return value


def value_labels(values: Sequence[object]) -> list[str]:
    return [value_label(value) for value in values]
