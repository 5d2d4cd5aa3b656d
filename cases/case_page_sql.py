"""DescribeCases' reads of cases as SQL composed once per shape of filters (`core.rawload`'s
pattern): building and compiling them through the ORM took about a third of the call's CPU.
Each text is the ORM's own (tests/cases/test_case_page_sql.py compares them for every
combination of filters), so the database plans it alike; what the composition does not mirror
goes through the ORM (`cases.selectors.case_page_for_principal` chooses).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Field, QuerySet

from cases.models import Case, CaseStatus
from core import rawload
from core.paging import Cursor, KeysetPage, SortKey, cursor_after

# DescribeCases: newest first; display ids are unique.
# Ties broken by the primary key, which every index of SQLite ends with (and PostgreSQL sorts
# within equal times only): by display_id, SQLite with planner statistics sorted every case of
# the account for each page.
CASE_PAGE_ORDER = (SortKey("created_at", descending=True), SortKey("id", descending=True))


@dataclass(frozen=True)
class CaseFilters:
    case_ids: list[str] | None
    display_id: int | None
    after: datetime | None
    before: datetime | None
    include_resolved: bool
    language: str | None


def case_queryset(queryset: QuerySet[Case], filters: CaseFilters) -> QuerySet[Case]:
    if filters.case_ids is not None:
        queryset = queryset.filter(case_id__in=filters.case_ids)
    if filters.display_id is not None:
        queryset = queryset.filter(display_id=filters.display_id)
    if filters.after is not None:
        queryset = queryset.filter(created_at__gte=filters.after)
    if filters.before is not None:
        queryset = queryset.filter(created_at__lte=filters.before)
    if not filters.include_resolved:
        queryset = queryset.exclude(status=CaseStatus.RESOLVED)
    if filters.language is not None:
        queryset = queryset.filter(language=filters.language)
    return queryset


def composable(filters: CaseFilters, cursor: Cursor | None) -> bool:
    """Whether the composed page reads exactly what `keyset_page` would. Not for: a cursor read
    backwards (DescribeCases' tokens never are); an empty id list, which the ORM answers
    without a query, or one holding other than text, which it converts (and drops None from);
    a display id outside the column's range, which it answers without a query. No query."""
    if cursor is not None and cursor.backwards:
        return False
    if filters.case_ids is not None and (
        not filters.case_ids or not all(isinstance(i, str) for i in filters.case_ids)
    ):
        return False
    if filters.display_id is not None:
        low, high = connection.ops.integer_field_range(
            _case_field("display_id").get_internal_type()
        )
        if not (low is None or low <= filters.display_id) or not (
            high is None or filters.display_id <= high
        ):
            return False
    return True


def _case_page_sql(
    filters: CaseFilters, cursor: Cursor | None, count: int
) -> tuple[str, list[Any]]:
    """The page's statement and its parameters, less the account id (the first)."""
    prep = case_prep
    ids = list(dict.fromkeys(filters.case_ids)) if filters.case_ids is not None else None
    params: list[Any] = []
    if ids is not None:
        params += [prep("case_id", i) for i in ids]
    if filters.display_id is not None:
        params.append(prep("display_id", filters.display_id))
    if filters.after is not None:
        params.append(prep("created_at", filters.after))
    if filters.before is not None:
        params.append(prep("created_at", filters.before))
    if not filters.include_resolved:
        params.append(prep("status", CaseStatus.RESOLVED))
    if filters.language is not None:
        params.append(prep("language", filters.language))
    if cursor is not None:
        created_at, pk = (prep("created_at", cursor.key[0]), prep("id", cursor.key[1]))
        params += [created_at, created_at, created_at, pk]
    sql = _case_page_text(
        len(ids) if ids is not None else None,
        filters.display_id is not None,
        filters.after is not None,
        filters.before is not None,
        filters.include_resolved,
        filters.language is not None,
        cursor is not None,
        count,
    )
    return sql, params


def case_prep(name: str, value: object) -> object:
    """`value` for a comparison with the column `name`, as the ORM's lookups adapt it."""
    return _case_field(name).get_db_prep_value(value, connection, prepared=False)


@functools.cache
def _case_field(name: str) -> Field[Any, Any]:
    return {field.name: field for field in Case._meta.concrete_fields}[name]


@functools.lru_cache(maxsize=256)
def _case_page_text(
    ids: int | None,
    display: bool,
    after: bool,
    before: bool,
    include_resolved: bool,
    language: bool,
    cursor: bool,
    count: int,
) -> str:
    """The ORM's text of `keyset_page`'s query for one shape of `case_queryset`'s filters."""
    q = rawload.quote
    table = q(Case._meta.db_table)

    def col(name: str) -> str:
        return f"{table}.{q(_case_field(name).column)}"

    where = [f"{col('account')} = %s"]
    if ids is not None:
        where.append(f"{col('case_id')} IN ({', '.join(['%s'] * ids)})")
    if display:
        where.append(f"{col('display_id')} = %s")
    if after:
        where.append(f"{col('created_at')} >= %s")
    if before:
        where.append(f"{col('created_at')} <= %s")
    if not include_resolved:
        where.append(f"NOT ({col('status')} = %s)")
    if language:
        where.append(f"{col('language')} = %s")
    if cursor:
        # `core.paging._ranges_after` for (created_at DESC, id DESC): the bound an index seeks
        # to, then the rows between it and the cursor dropped.
        where.append(f"{col('created_at')} <= %s")
        where.append(
            f"({col('created_at')} < %s OR ({col('created_at')} = %s AND {col('id')} < %s))"
        )
    columns = ", ".join(f"{table}.{q(field.column)}" for field in Case._meta.concrete_fields)
    # The ORM parenthesizes a conjunction, not a single condition.
    condition = f"({' AND '.join(where)})" if len(where) > 1 else where[0]
    return (
        f"SELECT {columns} FROM {table} WHERE {condition} "
        f"ORDER BY {col('created_at')} DESC, {col('id')} DESC LIMIT {count}"
    )


def case_page_composed(
    account_id: int, filters: CaseFilters, limit: int, cursor: Cursor | None
) -> KeysetPage:
    """`keyset_page` of `case_queryset` over the account's cases, read forwards with
    `restart=False`, by the composed statement (one query)."""
    sql, params = _case_page_sql(filters, cursor, limit + 1)
    rows = rawload.fetch_all(sql, [account_id, *params])
    more = len(rows) > limit
    # The row past the page only says that there is more: no instance for it.
    found = [rawload.instance(Case, row) for row in rows[:limit]]
    next_cursor = cursor_after(found[-1], CASE_PAGE_ORDER) if more else None
    if cursor is None or not found:
        return KeysetPage(found, next_cursor, None)
    first = cursor_after(found[0], CASE_PAGE_ORDER)
    return KeysetPage(found, next_cursor, Cursor(first.key, backwards=True))


@functools.lru_cache(maxsize=128)
def case_ids_sql(ids: int) -> str:
    """The ORM's text of `case_ids_known`'s query for `ids` ids (composed as the page is),
    down to the ORDER BY of `Case.Meta.ordering` that a set does not need: the database plans
    the statement it planned before."""
    q = rawload.quote
    table = q(Case._meta.db_table)
    case_id = f"{table}.{q(_case_field('case_id').column)}"
    account = f"{table}.{q(_case_field('account').column)}"
    created_at = f"{table}.{q(_case_field('created_at').column)}"
    marks = ", ".join(["%s"] * ids)
    return (
        f"SELECT {case_id} AS {q('case_id')} FROM {table} "
        f"WHERE ({account} = %s AND {case_id} IN ({marks})) ORDER BY {created_at} DESC"
    )
