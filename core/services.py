"""Domain-free writes."""

from __future__ import annotations

from django.db.models import F

from core.models import Sequence


def sequence_next(name: str, *, start: int) -> int:
    """Return the next value of the sequence `name`; call it inside a transaction.

    A single UPDATE takes the row lock on PostgreSQL and the write lock on SQLite, so two
    transactions can never read the same value.
    """
    updated = Sequence.objects.filter(name=name).update(value=F("value") + 1)
    if not updated:
        Sequence.objects.get_or_create(name=name, defaults={"value": start - 1})
        Sequence.objects.filter(name=name).update(value=F("value") + 1)
    return Sequence.objects.values_list("value", flat=True).get(name=name)
