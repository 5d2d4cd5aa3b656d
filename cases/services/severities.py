"""A case's severity and the level copied beside it (`Case.severity_level`), kept in step here.

The level is copied so that the case list's "highest severity" order reads an index of cases
(account, level, display id) rather than joining the catalog and sorting the account's cases
(about 400 ms a page at a million cases). Every writer of `Case.severity` goes through
`severity_fields` (the case's creation, an engineer's reclassification; the benchmarks' bulk
seeding copies the level the same way), and a change of a level in the catalog is followed by
`cases_relevel`, registered with `catalog.services` from `CasesConfig.ready`.
"""

from __future__ import annotations

import functools
from typing import Any

from cases.models import Case
from catalog.models import Severity
from core.rawload import column, quote


def severity_fields(severity: Severity) -> dict[str, Any]:
    """The case fields that say `severity`: itself and its level (for `Case(...)`,
    `Case.objects.create` or setting on a case and saving these fields)."""
    return {"severity": severity, "severity_level": severity.level}


def severity_level_at_commit(severity_id: int) -> tuple[str, list[Any]]:
    """The level of a severity as the database holds it when a case is written: SQL and its
    parameters for the case's INSERT (`core.bulk.insert_instance`'s `expressions`). A case
    prepared before its transaction (the API's CreateCase) would otherwise keep a level that
    an operator changed, and `cases_relevel` rewrote, in between."""
    return _level_sql(), [severity_id]


@functools.cache
def _level_sql() -> str:
    return (
        f"(SELECT {column(Severity, 'level')} FROM {quote(Severity._meta.db_table)} "
        f"WHERE {column(Severity, 'id')} = %s)"
    )


def cases_relevel(severity: Severity) -> int:
    """Copy `severity`'s (new) level to the cases that have it, in one UPDATE; returns how many
    changed. Called by `catalog.services.severity_save` inside its transaction when an operator
    changes a level (rare: every case of that severity is rewritten, without touching
    `updated_at`, which is the customer's "recently updated")."""
    return (
        Case.objects.filter(severity=severity)
        .exclude(severity_level=severity.level)
        .update(severity_level=severity.level)
    )
