"""Domain-free writes."""

from __future__ import annotations

from django.db import connection
from django.db.models import F

from core.models import Sequence


def sequence_next(name: str, *, start: int) -> int:
    """Return the next value of the sequence `name`; call it inside a transaction.

    A single UPDATE takes the row lock on PostgreSQL and the write lock on SQLite, so two
    transactions can never read the same value.
    """
    if connection.features.can_return_columns_from_insert:
        # SQLite 3.35+ and PostgreSQL: the increment and its result in one statement.
        table = connection.ops.quote_name(Sequence._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET value = value + 1 WHERE name = %s RETURNING value", [name]
            )
            row = cursor.fetchone()
        if row is not None:
            return int(row[0])
    updated = Sequence.objects.filter(name=name).update(value=F("value") + 1)
    if not updated:
        Sequence.objects.get_or_create(name=name, defaults={"value": start - 1})
        Sequence.objects.filter(name=name).update(value=F("value") + 1)
    return Sequence.objects.values_list("value", flat=True).get(name=name)


def database_optimize() -> None:
    """Refresh the query planner's statistics. SQLite never gathers them on its own, and
    without them it picks the wrong index for the engineers' queue once tables are large."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
