"""Loads on the API's hot path as SQL built once from the models' metadata.

Building and compiling a query costs Django about half a millisecond, several times what
SQLite or PostgreSQL take to answer a lookup by a unique index; a signed API call makes a few
such lookups before it does any work. The statements here are composed once per process from
`_meta` (table and column names, so a migration changes them with the models) and the rows
become ordinary model instances with every concrete field loaded (`Model.from_db`), so nothing
is deferred and nothing behaves differently from an ORM load.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connections, models

M = TypeVar("M", bound=models.Model)


def quote(name: str, using: str = "default") -> str:
    return connections[using].ops.quote_name(name)


def column(model: type[models.Model], name: str, using: str = "default") -> str:
    """The quoted column of `model`'s field `name`."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), name
    return quote(field.column, using)


def columns(model: type[models.Model], alias: str, using: str = "default") -> str:
    """`alias`."col", ... for every concrete field of `model`, in `from_db`'s order."""
    return ", ".join(
        f"{alias}.{quote(field.column, using)}" for field in model._meta.concrete_fields
    )


def width(model: type[models.Model]) -> int:
    return len(model._meta.concrete_fields)


def instance(model: type[M], values: Sequence[Any], using: str = "default") -> M:
    """A model instance from one model's slice of a row, converted as the ORM converts it."""
    connection = connections[using]
    converted = list(values)
    for index, col, converters in _converters(model, connection.vendor, using):
        value = converted[index]
        for converter in converters:
            value = converter(value, col, connection)
        converted[index] = value
    return model.from_db(using, [f.attname for f in model._meta.concrete_fields], converted)


def field_value(model: type[models.Model], name: str, value: Any, using: str = "default") -> Any:
    """One column's value, converted as the ORM converts `model.name`."""
    connection = connections[using]
    field = model._meta.get_field(name)
    col = field.get_col(model._meta.db_table)  # type: ignore[union-attr]
    for converter in connection.ops.get_db_converters(col) + col.get_db_converters(connection):
        value = converter(value, col, connection)
    return value


@functools.cache
def _converters(
    model: type[models.Model], vendor: str, using: str
) -> list[tuple[int, Any, list[Any]]]:
    """The compiler's converters for each column (the backend's, then the field's)."""
    connection = connections[using]
    result = []
    for index, field in enumerate(model._meta.concrete_fields):
        col = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if converters:
            result.append((index, col, converters))
    return result


def fetch_all(sql: str, params: Sequence[Any], using: str = "default") -> list[tuple[Any, ...]]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
