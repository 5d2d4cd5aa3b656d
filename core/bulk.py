"""Inserting thousands of rows at once, for jobs over many objects.

`bulk_create` builds a model instance per row and compiles every value of every field through
the ORM's insert compiler: about a tenth of a millisecond a row for a wide model (an audit
record has 24 columns), which is most of what a job over 50,000 cases costs. `insert_rows` takes
the rows as dicts of field values, fills the columns left out with the fields' defaults as the
ORM would, converts only the values that need it (dates, UUIDs, JSON, a non-`str` string such as
a `TextChoices` member), and runs one INSERT: an `executemany` on SQLite (prepared once), the
rows as one JSON document on PostgreSQL (psycopg's `executemany` would send a statement per
row). Model `save()` and signals are not involved, as with `bulk_create`; primary keys chosen by the
database are not returned.

`among` hands a batch's thousands of ids to a query as one parameter: a filter `pk__in=[...]`
makes the ORM prepare every element of the list, for every query of the batch.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connections, models
from django.db.models.expressions import RawSQL
from django.utils import timezone

# Values of these types go to the driver as they are, for the fields that store them as they are.
_PLAIN = (str, int, bool)
_PLAIN_FIELDS = frozenset(
    {
        "CharField",
        "TextField",
        "EmailField",
        "SlugField",
        "URLField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
        "BooleanField",
        "ForeignKey",
        "OneToOneField",
    }
)


_NOTHING = object()
M = TypeVar("M", bound=models.Model)


def _default(field: models.Field, now: datetime) -> Callable[[], Any]:
    """How the ORM fills a column the caller left out (called once per row). The current
    time is one moment for the whole statement (converted once)."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda: now
    if field.has_default() and field.default is timezone.now:
        return lambda: now
    if field.has_default() and callable(field.default):
        return field.default  # a callable default (uuid4, now): called per row
    value = field.get_default()
    return lambda: value


def insert_rows(
    model: type[models.Model],
    rows: Sequence[Mapping[str, Any]],
    *,
    ignore_conflicts: bool = False,
    using: str = "default",
) -> int:
    """INSERT `rows` (each a mapping of field attnames, e.g. ``case_id``, to values; every row
    with the same keys) into `model`'s table in one `executemany`. Columns left out get their
    field's default, `auto_now` fields the current time. `ignore_conflicts` skips the rows a
    unique constraint refuses, as `bulk_create`'s does. Returns how many rows were given."""
    if not rows:
        return 0
    connection = connections[using]
    given = set(rows[0])
    fields = [
        field
        for field in model._meta.concrete_fields
        # A key the database chooses (AutoField) is left to it unless given.
        if field.attname in given or not getattr(field, "db_returning", False)
    ]
    unknown = given - {field.attname for field in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no fields {sorted(unknown)}")
    postgresql = connection.vendor == "postgresql"
    converters: list[Callable[[Any], Any]] = []
    for field in fields:
        if postgresql and isinstance(field, models.JSONField):
            # On PostgreSQL the rows travel as one JSON document (below), in which a JSON
            # field's value is itself.
            converters.append(_itself)
            continue
        plain = field.get_internal_type() in _PLAIN_FIELDS
        # The last value converted, by identity: one object shared by every row (an actor's
        # identity, a batch's timestamp) is converted once.
        last: list[Any] = [_NOTHING, None]

        def convert(
            value: Any, field: models.Field = field, plain: bool = plain, last: list = last
        ) -> Any:
            if value is None or (plain and type(value) in _PLAIN):
                return value
            if value is not last[0]:
                last[0], last[1] = value, field.get_db_prep_save(value, connection)
            return last[1]

        converters.append(convert)
    now = timezone.now()
    defaults = {
        field.attname: _default(field, now) for field in fields if field.attname not in given
    }
    quote = connection.ops.quote_name
    sql = "INSERT {}INTO {} ({}) ".format(
        "OR IGNORE " if ignore_conflicts and not postgresql else "",
        quote(model._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
    )
    params = []
    for row in rows:
        params.append(
            tuple(
                convert(row[field.attname] if field.attname in given else defaults[field.attname]())
                for field, convert in zip(fields, converters, strict=True)
            )
        )
    with connection.cursor() as cursor:
        if postgresql:
            # psycopg's executemany sends a statement per row; a multi-row VALUES has a
            # placeholder per value, which psycopg splits out of the statement's text with a
            # regular expression on every call (a third of a job's time at 2,000 rows of 24
            # columns), and an array per column is quoted element by element in Python. One
            # JSON document instead, encoded in C and read by the server as the table's rows;
            # the statement is short and the same for every batch.
            columns = [field.column for field in fields]
            document = json.dumps(
                [dict(zip(columns, row, strict=True)) for row in params],
                ensure_ascii=False,
                default=_json_scalar,
            )
            table = quote(model._meta.db_table)
            cursor.execute(
                sql
                + "SELECT {} FROM json_populate_recordset(NULL::{}, %s::json)".format(
                    ", ".join(quote(column) for column in columns), table
                )
                + (" ON CONFLICT DO NOTHING" if ignore_conflicts else ""),
                [document],
            )
        else:
            # SQLite prepares the statement once and binds each row.
            cursor.executemany(sql + "VALUES (" + ", ".join(["%s"] * len(fields)) + ")", params)
    return len(rows)


def _itself(value: Any) -> Any:
    return value


def _json_scalar(value: Any) -> str:
    """A prepared value JSON has no type for, as PostgreSQL reads it from text (dates and times
    in ISO 8601, UUIDs, decimals)."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} values cannot be inserted by insert_rows")


def insert_row(
    model: type[models.Model],
    row: Mapping[str, Any],
    *,
    expressions: Mapping[str, tuple[str, Sequence[Any]]] | None = None,
    using: str = "default",
) -> dict[str, Any]:
    """INSERT one row (a mapping of field attnames to values, as for `insert_rows`) with a
    statement composed once per model and set of fields given: the ORM compiles its INSERT
    for every `create()`, which on the API's hot path costs more than running it. Columns left
    out get their field's default, `auto_now` fields the current time; a key the database
    chooses comes back by RETURNING. `expressions` gives columns as SQL with its parameters
    (attname -> (sql, params)), e.g. a subquery read by the INSERT itself; the SQL is part of
    the composed statement, so it must be one of a few fixed texts. Returns every field's
    value (attname -> value, the key included, the expressions' columns not) for
    `from_values`. Model `save()` and signals are not involved."""
    connection = connections[using]
    expressions = expressions or {}
    fields, plain, sql, returning = _row_plan(
        model,
        frozenset(row),
        tuple(sorted((attname, text) for attname, (text, _) in expressions.items())),
        using,
        connection.vendor,
    )
    now = timezone.now()
    values = {
        field.attname: row[field.attname] if field.attname in row else _default(field, now)()
        for field in fields
        if field.attname not in expressions
    }
    params: list[Any] = []
    for field, is_plain in zip(fields, plain, strict=True):
        if field.attname in expressions:
            params.extend(expressions[field.attname][1])
            continue
        value = values[field.attname]
        params.append(
            value
            if value is None or (is_plain and type(value) in _PLAIN)
            else field.get_db_prep_save(value, connection)
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if returning is not None:
            values[returning.attname] = cursor.fetchone()[0]
    return values


def insert_instance(
    instance: M,
    *,
    expressions: Mapping[str, tuple[str, Sequence[Any]]] | None = None,
    using: str = "default",
) -> M:
    """`instance.save(force_insert=True)` by `insert_row`'s statement: every concrete field as
    the instance holds it (or as `expressions` computes it, which the instance is not told),
    `auto_now` and `auto_now_add` fields stamped with the current time as `save()` stamps
    them, and the key the database chooses set on the instance, which is then saved
    (`_state`). For a model built field by field on the API's hot path, where the ORM's
    compiling of its INSERT costs more than running it. Model `save()` and signals are not
    involved."""
    model = type(instance)
    expressions = expressions or {}
    # As save(): refuses a related object that is not saved yet (rather than writing NULL).
    instance._prepare_related_fields_for_save(operation_name="insert_instance")  # type: ignore[attr-defined]
    now = timezone.now()
    row: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.attname in expressions:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            setattr(instance, field.attname, now)
        value = getattr(instance, field.attname)
        if value is None and getattr(field, "db_returning", False):
            continue
        row[field.attname] = value
    values = insert_row(model, row, expressions=expressions, using=using)
    for attname, value in values.items():
        if attname not in row:
            setattr(instance, attname, value)
    instance._state.adding = False
    instance._state.db = using
    return instance


def from_values(model: type[M], values: Mapping[str, Any], *, using: str = "default") -> M:
    """The saved instance of a row `insert_row` wrote."""
    instance = model(**values)
    instance._state.adding = False
    instance._state.db = using
    return instance


@functools.lru_cache(maxsize=256)
def _row_plan(
    model: type[models.Model],
    given: frozenset[str],
    expressions: tuple[tuple[str, str], ...],
    using: str,
    vendor: str,
) -> tuple[list[models.Field], list[bool], str, models.Field | None]:
    """`insert_row`'s fields (in column order), whether each takes plain values as they are,
    its statement, and the key the database chooses (returned), if any."""
    connection = connections[using]
    texts = dict(expressions)
    given = given | texts.keys()
    fields = [
        field
        for field in model._meta.concrete_fields
        if field.attname in given or not getattr(field, "db_returning", False)
    ]
    unknown = given - {field.attname for field in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no fields {sorted(unknown)}")
    returning = next(
        (
            f
            for f in model._meta.concrete_fields
            if f.attname not in given and getattr(f, "db_returning", False)
        ),
        None,
    )
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(texts.get(field.attname, "%s") for field in fields),
    )
    if returning is not None:
        sql += f" RETURNING {quote(returning.column)}"
    plain = [field.get_internal_type() in _PLAIN_FIELDS for field in fields]
    return fields, plain, sql, returning


def among(values: Sequence[int] | Sequence[str], *, using: str = "default") -> RawSQL:
    """A subquery of `values` (all integers, or all strings), as one parameter, for
    ``filter(pk__in=among(ids))``: an array unnested on PostgreSQL, a JSON array walked by
    `json_each` on SQLite."""
    items: list[int | str] = list(values)
    if connections[using].vendor == "postgresql":
        kind = "text" if items and isinstance(items[0], str) else "bigint"
        return RawSQL(f"SELECT unnest(%s::{kind}[])", (items,))
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(items),))


# SQLite's page cache for a job's connection (KiB): its default (2 MB) holds little of a million
# cases' indexes, so each batch's deletes and updates read the same index pages over and over.
JOB_CACHE_KIB = 64 * 1024


@contextmanager
def job_cache(using: str = "default") -> Iterator[None]:
    """A larger page cache for the duration of a job over many rows, on SQLite (PostgreSQL's
    shared buffers are the server's); the connection's own setting is restored afterwards.
    Bounded, so the job's memory stays flat."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{JOB_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")
