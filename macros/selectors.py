"""Reads for canned responses: the engineers' list, and a macro filled in for a case."""

from __future__ import annotations

from typing import NamedTuple

from django.db.models import QuerySet

from accounts.models import User
from cases.models import Case, Language
from macros import placeholders
from macros.models import Macro


class RenderedMacro(NamedTuple):
    text: str
    # A status of `macros.models.NextStatus`, or "" to leave the reply's choice alone.
    next_status: str


def macro_list_active() -> QuerySet[Macro]:
    """The macros engineers may insert, in the operators' order (one query)."""
    return Macro.objects.filter(is_active=True).order_by("position", "name")


def customer_name(case: Case) -> str:
    """Who the case is from, as a reply addresses them: the submitter's display name, else the
    account's name (root users and most IAM users have no display name, and a deleted
    submitter leaves none). Reads the submitter unless the caller selected it (one query)."""
    submitter = case.submitter if case.submitter_id is not None else None
    if submitter is not None and submitter.display_name:
        return submitter.display_name
    return case.account.name


def macro_render(macro: Macro, case: Case, engineer: User) -> RenderedMacro:
    """`macro`'s text for `case` (Japanese for a case in Japanese when the macro has it, else
    English) with its placeholders filled, and the status it sets. `case` is loaded with its
    account (`cases.access`); costs the query of `customer_name`."""
    text = macro.body
    if case.language == Language.JA and macro.body_ja.strip():
        text = macro.body_ja
    values = {
        "customer_name": customer_name(case),
        "case_id": case.case_id,
        "display_id": str(case.display_id),
        "subject": case.subject,
        "engineer_name": engineer.display_name or engineer.email,
    }
    return RenderedMacro(placeholders.fill(text, values), macro.next_status)
