"""Keyset paging, and the tokens that carry its cursors: one engine for every list.

A page is read by seeking in the list's order from the last row shown (its sort key, the cursor)
instead of counting rows past an offset, so a deep page costs what the first does. The list's
order is a sequence of `SortKey`s whose last key is unique and never NULL (no two rows share a
sort key). A key may be ascending or descending, a model field, a field across relations
(`severity__level`) or an annotation of the queryset (`resolved_last`).

Cursors travel as opaque tokens (`page_token` / `cursor_from_token`): the cursor plus a
fingerprint of the query it belongs to, encrypted and authenticated with Fernet (`core.crypto`).
A token that was altered, or that belongs to another account, list or set of filters, is refused:
the AWS API answers ValidationException, pages show the first page.

Used by the customers' case list, the engineers' queue, event history, the API's DescribeCases
and DescribeCommunications, event delivery logs and Trusted Advisor's resource tables.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.fernet import InvalidToken
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connections, models
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy, RawSQL
from django.http import QueryDict

from core import crypto
from core.errors import ValidationException

MSG_INVALID_TOKEN = "Invalid pagination token (nextToken)."


@dataclass(frozen=True)
class SortKey:
    """One column of a keyset order.

    `nulls_first` (ascending nullable columns only) says where NULLs come; None means where the
    database puts them in an ascending index declared without NULLS FIRST/LAST: first on
    SQLite, last on PostgreSQL (`features.nulls_order_largest`). The order then matches such an
    index on both.

    `shared`: many rows share each value (a severity's level). Seeking on the key alone would
    land at the start of the cursor's value and read past every row before the cursor in it
    (50,000 at a million cases); with `shared`, a page seeks on the whole order at once, a row
    comparison `(k1, k2, ...) < (v1, v2, ...)` that both engines' indexes serve. Only for an
    order whose keys are the model's own non-NULL columns, all in one direction (otherwise
    ignored).
    """

    field: str
    descending: bool = False
    nulls_first: bool | None = None
    shared: bool = False


@dataclass(frozen=True)
class Cursor:
    """A position in a keyset order: the sort key of a row, and which way to read from it."""

    key: tuple[Any, ...]
    backwards: bool = False


@dataclass
class KeysetPage:
    items: list[Any]
    # Cursors for the following and the preceding page; None at either end.
    next_cursor: Cursor | None
    previous_cursor: Cursor | None


@dataclass(frozen=True)
class _Column:
    name: str
    nullable: bool
    # Whether values are read in decreasing order (a descending key read forwards, or an
    # ascending one read backwards).
    down: bool
    # Where NULLs come in the direction being read.
    nulls_first: bool


def _model_field(
    model: type[models.Model], path: str
) -> tuple[models.Field[Any, Any] | None, bool]:
    """The model field at the end of `path` (None for an annotation) and whether a NULL can
    appear there (a nullable field, or a nullable relation on the way)."""
    nullable = False
    current: type[models.Model] = model
    field: Any = None
    for part in path.split("__"):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return None, False
        nullable = nullable or bool(getattr(field, "null", False))
        if field.is_relation and field.related_model is not None:
            current = field.related_model
    return field, nullable


def _columns(queryset: QuerySet[Any], keys: Sequence[SortKey], backwards: bool) -> list[_Column]:
    nulls_largest = connections[queryset.db].features.nulls_order_largest
    columns = []
    for key in keys:
        _field, nullable = _model_field(queryset.model, key.field)
        if key.descending and nullable:
            raise ValueError(f"descending keys must not hold NULLs: {key.field}")
        nulls_first = not nulls_largest if key.nulls_first is None else key.nulls_first
        down = key.descending != backwards
        columns.append(_Column(key.field, nullable, down, nulls_first != down))
    return columns


def _order_by(queryset: QuerySet[Any], columns: list[_Column]) -> list[OrderBy]:
    # NULLS FIRST/LAST is spelled out only where it differs from the database's own placement:
    # the ORDER BY then reads as the index does (or as the index read backwards).
    nulls_largest = connections[queryset.db].features.nulls_order_largest
    order = []
    for column in columns:
        expression = F(column.name)
        default_nulls_first = nulls_largest if column.down else not nulls_largest
        if not column.nullable or column.nulls_first == default_nulls_first:
            order.append(expression.desc() if column.down else expression.asc())
        elif column.nulls_first:
            order.append(
                expression.desc(nulls_first=True)
                if column.down
                else expression.asc(nulls_first=True)
            )
        else:
            order.append(
                expression.desc(nulls_last=True) if column.down else expression.asc(nulls_last=True)
            )
    return order


def keyset_order(queryset: QuerySet[Any], keys: Sequence[SortKey]) -> QuerySet[Any]:
    """`queryset` ordered by `keys`, NULLs placed as `keyset_page` reads them."""
    return queryset.order_by(*_order_by(queryset, _columns(queryset, keys, False)))


def _is(column: _Column, value: Any) -> Q:
    """The column equals `value`, NULL included."""
    return Q(**{f"{column.name}__isnull": True}) if value is None else Q(**{column.name: value})


def _beyond(column: _Column, value: Any) -> Q | None:
    """The column's values past `value` in the reading order (None: there are none)."""
    if value is None:
        # Past a NULL come the values when NULLs come first; nothing when they come last.
        return Q(**{f"{column.name}__isnull": False}) if column.nulls_first else None
    # A comparison is never true for NULL: NULLs that come last are added by name.
    beyond = Q(**{f"{column.name}__{'lt' if column.down else 'gt'}": value})
    if column.nullable and not column.nulls_first:
        beyond |= Q(**{f"{column.name}__isnull": True})
    return beyond


def _after(columns: list[_Column], key: tuple[Any, ...]) -> Q:
    """Rows after `key` in the reading order, as one condition (k1 past v1, or k1 = v1 and k2
    past v2, ...): exact, but no database seeks on it alone."""
    condition: Q | None = None
    for column, value in reversed(list(zip(columns, key, strict=True))):
        beyond = _beyond(column, value)
        deeper = _is(column, value) & condition if condition is not None else None
        if beyond is not None and deeper is not None:
            condition = beyond | deeper
        else:
            condition = beyond if beyond is not None else deeper
    # The last key is unique and never NULL, so there is always a condition.
    assert condition is not None
    return condition


def _row_after(
    queryset: QuerySet[Any], keys: Sequence[SortKey], columns: list[_Column], key: tuple[Any, ...]
) -> Q | None:
    """Rows after `key` as one row comparison, when the order asks for it (`SortKey.shared`)
    and allows it: the model's own non-NULL columns, read in one direction, the key holding no
    NULL. Written in SQL: Django compares tuples on SQLite by expanding them into ORs, which
    its planner (like PostgreSQL's) cannot seek on."""
    if not keys[0].shared or len({column.down for column in columns}) != 1:
        return None
    if any(value is None for value in key):
        return None
    connection = connections[queryset.db]
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    names, values = [], []
    for sort_key, value in zip(keys, key, strict=True):
        field, nullable = _model_field(queryset.model, sort_key.field)
        if field is None or nullable or "__" in sort_key.field or not field.concrete:
            return None
        names.append(f"{table}.{connection.ops.quote_name(field.column)}")
        values.append(field.get_db_prep_value(value, connection, prepared=False))
    marks = ", ".join(["%s"] * len(values))
    comparison = "<" if columns[0].down else ">"
    condition = RawSQL(
        f"({', '.join(names)}) {comparison} ({marks})", values, output_field=models.BooleanField()
    )
    return Q(condition)


def _ranges_after(
    columns: list[_Column],
    key: tuple[Any, ...],
    prefix: Q | None = None,
    row: Q | None = None,
) -> list[Q]:
    """Rows after `key` in the reading order, as the ranges of the index they fill, in order:
    each an equality (or IS NULL) prefix and a bound the database seeks to, plus `_after` to
    drop the few rows between the bound and the key. With no NULL in the key and no NULLs to come
    last, that is one range; else a range for the rows that share the key's NULL (sought on the
    next column), then one for the values after it, and one for NULLs that come last. `row`
    (`_row_after`), when given, is the one range."""
    prefix = prefix if prefix is not None else Q()
    if row is not None:
        return [prefix & row]
    column, value = columns[0], key[0]
    if value is None:
        ranges = []
        if len(columns) > 1:
            ranges = _ranges_after(columns[1:], key[1:], prefix & _is(column, None))
        if column.nulls_first:
            ranges.append(prefix & Q(**{f"{column.name}__isnull": False}))
        return ranges
    bound = Q(**{f"{column.name}__{'lte' if column.down else 'gte'}": value})
    ranges = [prefix & bound & _after(columns, key)]
    if column.nullable and not column.nulls_first:
        ranges.append(prefix & Q(**{f"{column.name}__isnull": True}))
    return ranges


# The sort key a grouped list's cursor starts with: the position of the row's group.
GROUP = SortKey("keyset_group")


def _read(
    queryset: QuerySet[Any],
    keys: Sequence[SortKey],
    columns: list[_Column],
    order: list[OrderBy],
    key: tuple[Any, ...] | None,
    count: int,
) -> list[Any]:
    """At most `count` rows of `queryset` after `key` (from the start for None) in reading
    order: one query, or one per range of the index the rows lie in (`_ranges_after`)."""
    if key is None:
        return list(queryset.order_by(*order)[:count])
    rows: list[Any] = []
    # The ranges come in reading order and do not overlap: their rows, one after the other, are
    # the rows after the key in order.
    row = _row_after(queryset, keys, columns, key)
    for part in _ranges_after(columns, key, row=row):
        rows += queryset.filter(part).order_by(*order)[: count - len(rows)]
        if len(rows) >= count:
            break
    return rows


def keyset_page(
    queryset: QuerySet[Any],
    keys: Sequence[SortKey],
    *,
    cursor: Cursor | None,
    limit: int,
    restart: bool = True,
    groups: Sequence[Q] | None = None,
) -> KeysetPage:
    """One page of `queryset` in `keys` order, after (or, backwards, before) `cursor`, each query
    a seek into an index on `keys` whatever the depth.

    The first page is one query, and so is a page that lies in one range of the index (see
    `_ranges_after`): always, when no key is NULL. A page that reaches into the next range (from
    the rows that share a NULL into the values after them) reads it with one query more, for only
    the rows still missing. One UNION ALL of the ranges would keep it to one query, but each part
    would read a page of its own, and a filter that matches few rows in a later range (unassigned
    cases among the answered ones) would read all of that range on every page.

    With `groups` the list is the rows matching each condition in turn, each group in `keys`
    order (open cases, then resolved ones): the same seek within a group, one query more for a
    page that runs into the next group, and the cursors start with the group's position
    (`GROUP`). Sorting by which group a row is in would read every row to sort them.

    If the rows around the cursor have gone since the link was drawn (a read forwards finds
    nothing, or backwards less than a page), pages read the first page instead (one query more);
    with `restart=False` (the AWS API, whose SDK paginators follow tokens until there is none)
    the page is what it is, possibly empty.
    """
    backwards = cursor is not None and cursor.backwards
    columns = _columns(queryset, keys, backwards)
    order = _order_by(queryset, columns)
    parts = list(groups) if groups is not None else [Q()]
    index, key = 0, cursor.key if cursor is not None else None
    if cursor is not None and groups is not None:
        index, key = cursor.key[0], cursor.key[1:]
        if not isinstance(index, int) or not 0 <= index < len(parts):
            return keyset_page(queryset, keys, cursor=None, limit=limit, groups=groups)
    found: list[tuple[int, Any]] = []
    while 0 <= index < len(parts) and len(found) <= limit:
        part = queryset.filter(parts[index]) if groups is not None else queryset
        found += [
            (index, row) for row in _read(part, keys, columns, order, key, limit + 1 - len(found))
        ]
        index, key = index + (-1 if backwards else 1), None
    more = len(found) > limit
    found = found[:limit]
    # The rows around the cursor may have left the list since the link was drawn: rather than an
    # empty page or a short first one, show the first page.
    if (
        cursor is not None
        and restart
        and ((not backwards and not found) or (backwards and len(found) < limit))
    ):
        return keyset_page(queryset, keys, cursor=None, limit=limit, groups=groups)

    def at(entry: tuple[int, Any], *, back: bool = False) -> Cursor:
        group, row = entry
        position = _cursor(row, keys, backwards=back)
        if groups is None:
            return position
        return Cursor((group, *position.key), back)

    rows = [row for _group, row in found]
    if cursor is None:
        return KeysetPage(rows, at(found[-1]) if more else None, None)
    if not found:
        return KeysetPage(rows, None, None)
    if not backwards:
        return KeysetPage(rows, at(found[-1]) if more else None, at(found[0], back=True))
    rows.reverse()
    found.reverse()
    return KeysetPage(rows, at(found[-1]), at(found[0], back=True) if more else None)


def _value(row: Any, path: str) -> Any:
    """The row's value for a sort key, following relations (`severity__level`)."""
    value = row
    for part in path.split("__"):
        value = getattr(value, part) if value is not None else None
    return value


def _cursor(row: Any, keys: Sequence[SortKey], *, backwards: bool = False) -> Cursor:
    return Cursor(tuple(_value(row, key.field) for key in keys), backwards)


def cursor_after(row: Any, keys: Sequence[SortKey]) -> Cursor:
    """The cursor that continues after `row` (DescribeCases' recentCommunications.nextToken)."""
    return _cursor(row, keys)


# --- tokens --------------------------------------------------------------------------------------


def _cursor_dump(cursor: Cursor) -> dict[str, Any]:
    values = [v.isoformat() if isinstance(v, datetime) else v for v in cursor.key]
    return {"k": values, "b": cursor.backwards}


def _cursor_load(model: type[models.Model], keys: Sequence[SortKey], data: Any) -> Cursor:
    """The cursor that `_cursor_dump` wrote; ValueError if `data` is not one for `keys`."""
    values = data.get("k") if isinstance(data, dict) else None
    if not isinstance(values, list) or len(values) != len(keys):
        raise ValueError("bad cursor")
    key: list[Any] = []
    for sort_key, value in zip(keys, values, strict=True):
        field, nullable = _model_field(model, sort_key.field)
        if value is None:
            if field is not None and not nullable:
                raise ValueError("bad cursor")
            key.append(None)
            continue
        if field is None:  # an annotation: plain JSON values
            if not isinstance(value, int | str | bool):
                raise ValueError("bad cursor")
            key.append(value)
            continue
        try:
            parsed = field.to_python(value)
        except ValidationError:
            raise ValueError("bad cursor") from None
        if isinstance(parsed, datetime) and parsed.tzinfo is None:
            raise ValueError("bad cursor")
        key.append(parsed)
    return Cursor(tuple(key), bool(data.get("b")))


def _fingerprint(scope: dict[str, Any]) -> str:
    canonical = json.dumps(scope, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def page_token(cursor: Cursor | None, scope: dict[str, Any]) -> str:
    """The opaque token for `cursor` in the list `scope` describes ("" for no cursor)."""
    if cursor is None:
        return ""
    payload = {"c": _cursor_dump(cursor), "s": _fingerprint(scope)}
    return crypto.encrypt(json.dumps(payload, default=str))


def cursor_from_token(
    token: str | None,
    model: type[models.Model],
    keys: Sequence[SortKey],
    scope: dict[str, Any],
    *,
    strict: bool,
) -> Cursor | None:
    """The cursor in `token` for the list `scope` describes; None for no token. A token that was
    altered or belongs to another list raises `ValidationException` when `strict` (the AWS API),
    and gives None (the first page) otherwise (pages)."""
    if not token:
        return None
    try:
        payload = json.loads(crypto.decrypt(token))
        if not isinstance(payload, dict) or payload.get("s") != _fingerprint(scope):
            raise ValueError("another list's token")
        return _cursor_load(model, keys, payload.get("c"))
    except (InvalidToken, ValueError, TypeError):
        if strict:
            raise ValidationException(MSG_INVALID_TOKEN) from None
        return None


# --- pages ---------------------------------------------------------------------------------------


def read_page(
    params: QueryDict,
    queryset: QuerySet[Any],
    keys: Sequence[SortKey],
    scope: dict[str, Any],
    *,
    limit: int,
    groups: Sequence[Q] | None = None,
) -> tuple[KeysetPage, dict[str, str]]:
    """The page a list page's `cursor` parameter asks for (the first page for none, or for a
    token of another list), and what `components/keyset_pager.html` draws its links from: the
    other query parameters and the next and previous pages' tokens. `groups` as for
    `keyset_page`."""
    token_keys = (GROUP, *keys) if groups is not None else keys
    cursor = cursor_from_token(
        params.get("cursor"), queryset.model, token_keys, scope, strict=False
    )
    page = keyset_page(queryset, keys, cursor=cursor, limit=limit, groups=groups)
    query = params.copy()
    query.pop("cursor", None)
    query.pop("page", None)  # offset links from before keyset paging
    links = {
        "query": query.urlencode(),
        "next_token": page_token(page.next_cursor, scope),
        "previous_token": page_token(page.previous_cursor, scope),
    }
    return page, links
