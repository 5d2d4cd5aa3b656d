"""`|ta_value`: a check's stored metadata value in the page's language.

The stored value is the API's English (`advisor.checks.texts`); only the pages translate it.
"""

from __future__ import annotations

from django import template

import advisor.checks  # noqa: F401  (every check module registers its texts on import)
from advisor.checks.texts import value_label

register = template.Library()


@register.filter
def ta_value(value: object) -> str:
    return value_label(value)
