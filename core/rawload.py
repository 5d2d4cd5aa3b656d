"""Loads on the API's hot path as SQL built once from the models' metadata.

Building and compiling a query costs Django about half a millisecond, several times what
SQLite or PostgreSQL take to answer a lookup by a unique index; a signed API call makes a few
such lookups before it does any work. The statements here are composed once per process from
`_meta` (table and column names, so a migration changes them with the models) and the rows
become ordinary model instances with every concrete field loaded (as `Model.from_db` makes
them), so nothing is deferred and nothing behaves differently from an ORM load.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.conf import settings
from django.core.signals import setting_changed
from django.db import connections, models
from django.db.models import signals
from django.db.models.base import ModelState

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
    return _maker(model, connection.vendor, using)(values, connection)


def _maker(model: type[M], vendor: str, using: str) -> Callable[[Sequence[Any], Any], M]:
    return _makers(model, vendor, using)  # type: ignore[return-value]


@functools.cache
def _makers(model: type[models.Model], vendor: str, using: str) -> Callable[..., models.Model]:
    """What `Model.from_db` does with every concrete field loaded, without `Model.__init__`'s
    generic argument handling (a third of the cost of the API's page of ten cases): the values
    go straight into the instance's `__dict__`, as `__init__` puts them for a model that sends no
    init signals and keeps Django's own `__init__` and `from_db`. A field's attname is a plain
    attribute or a descriptor that stores into `__dict__` (a foreign key's, which also drops a
    cached related object a new instance does not have). Any other model goes through
    `from_db`."""
    attnames = [f.attname for f in model._meta.concrete_fields]
    converters = _converters(model, vendor, using)
    from_db = getattr(model.from_db, "__func__", None)
    plain = (
        model.__init__ is models.Model.__init__
        and from_db is models.Model.from_db.__func__  # type: ignore[attr-defined]
        and not signals.pre_init.has_listeners(model)
        and not signals.post_init.has_listeners(model)
    )

    def make(values: Sequence[Any], connection: Any) -> models.Model:
        converted = list(values)
        for index, col, functions in converters:
            value = converted[index]
            for function in functions:
                value = function(value, col, connection)
            converted[index] = value
        if not plain:
            return model.from_db(using, attnames, converted)
        new = model.__new__(model)
        state = new._state = ModelState()
        state.adding = False
        state.db = using
        new.__dict__.update(zip(attnames, converted, strict=True))
        return new

    return make


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
            result.append((index, col, [_faster(c, connection) for c in converters]))
    return result


def _faster(converter: Any, connection: Any) -> Any:
    """SQLite's datetime converter, for what SQLite's driver hands it on a datetime column (a
    naive datetime, UTC as Django stores it): the same aware datetime without the generic checks
    (a fifth of the conversions' cost on a page of cases). Anything else takes Django's path."""
    if connection.vendor != "sqlite" or not settings.USE_TZ:
        return converter
    # Here, not at the top: it loads Django's SQLite backend, which a PostgreSQL install never uses.
    from django.db.backends.sqlite3.operations import DatabaseOperations

    if getattr(converter, "__func__", None) is not DatabaseOperations.convert_datetimefield_value:
        return converter
    zone = connection.timezone

    def convert(value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        if value.__class__ is datetime and value.tzinfo is None:
            return value.replace(tzinfo=zone)
        return converter(value, expression, connection)

    return convert


def fetch_all(sql: str, params: Sequence[Any], using: str = "default") -> list[tuple[Any, ...]]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    # The converters read USE_TZ and the connection's zone, and the makers the models' init
    # receivers, once per process; a test that changes them starts afresh.
    if setting in ("USE_TZ", "TIME_ZONE", "DATABASES"):
        _makers.cache_clear()
        _converters.cache_clear()


setting_changed.connect(_settings_changed)
