"""Reads for cases and their correspondence, paginated in the database with keyset cursors.

Every function issues a fixed number of queries whatever the page size: the page itself, the
recent communications of all cases on it (one window-function query), and their attachments.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Case as SqlCase
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.expressions import OrderBy
from django.db.models.functions import RowNumber
from django.utils.dateparse import parse_datetime

from accounts.principals import Principal
from cases import access
from cases.models import Attachment, Case, CaseStatus, Communication

if TYPE_CHECKING:
    from django.core.paginator import Page as PaginatorPage

RECENT_COMMUNICATIONS = 5


@dataclass
class Page:
    items: list[Any]
    # The sort key of the last item when another page follows, else None.
    next_cursor: dict[str, Any] | None


def _case_cursor(case: Case) -> dict[str, Any]:
    return {"t": case.created_at.isoformat(), "d": case.display_id}


def _communication_cursor(communication: Communication) -> dict[str, Any]:
    return {"t": communication.created_at.isoformat(), "c": communication.communication_id}


def _cursor_time(cursor: dict[str, Any]) -> datetime:
    value = parse_datetime(str(cursor.get("t", "")))
    if value is None:
        raise ValueError("bad cursor")
    return value


def case_page_for_principal(
    principal: Principal,
    *,
    case_ids: list[str] | None = None,
    display_id: int | None = None,
    after: datetime | None = None,
    before: datetime | None = None,
    include_resolved: bool = False,
    language: str | None = None,
    limit: int = 100,
    cursor: dict[str, Any] | None = None,
) -> Page:
    """Cases the principal may see, newest first, one page of at most `limit`."""
    queryset: QuerySet[Case] = access.cases_for_principal(principal).select_related(
        "service", "category", "severity"
    )
    if case_ids is not None:
        queryset = queryset.filter(case_id__in=case_ids)
    if display_id is not None:
        queryset = queryset.filter(display_id=display_id)
    if after is not None:
        queryset = queryset.filter(created_at__gte=after)
    if before is not None:
        queryset = queryset.filter(created_at__lte=before)
    if not include_resolved:
        queryset = queryset.exclude(status=CaseStatus.RESOLVED)
    if language is not None:
        queryset = queryset.filter(language=language)
    if cursor is not None:
        moment = _cursor_time(cursor)
        queryset = queryset.filter(
            Q(created_at__lt=moment) | Q(created_at=moment, display_id__lt=int(cursor["d"]))
        )
    rows = list(queryset.order_by("-created_at", "-display_id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, _case_cursor(rows[-1]) if more and rows else None)


def recent_communications(
    cases: Iterable[Case], *, per_case: int = RECENT_COMMUNICATIONS
) -> dict[int, tuple[list[Communication], int]]:
    """The newest `per_case` communications of each case, with each case's total count, in one
    query (window functions); attachments are attached as `attachment_list` in one more.
    """
    case_ids = [case.pk for case in cases]
    if not case_ids:
        return {}
    ranked = (
        Communication.objects.filter(case_id__in=case_ids)
        .annotate(
            position=Window(
                RowNumber(),
                partition_by=[F("case_id")],
                order_by=[F("created_at").desc(), F("communication_id").desc()],
            ),
            total=Window(Count("id"), partition_by=[F("case_id")]),
        )
        .filter(position__lte=per_case)
        .order_by("case_id", "position")
    )
    communications = list(ranked)
    _attach_attachments(communications)
    result: dict[int, tuple[list[Communication], int]] = {pk: ([], 0) for pk in case_ids}
    for communication in communications:
        items, _ = result[communication.case_id]
        items.append(communication)
        result[communication.case_id] = (items, communication.total)
    return result


def _attach_attachments(communications: Sequence[Communication]) -> None:
    set_ids = [c.attachment_set_id for c in communications if c.attachment_set_id]
    by_set: dict[int | None, list[Attachment]] = defaultdict(list)
    if set_ids:
        for attachment in Attachment.objects.filter(attachment_set_id__in=set_ids).order_by(
            "created_at", "id"
        ):
            by_set[attachment.attachment_set_id].append(attachment)
    for communication in communications:
        communication.attachment_list = by_set.get(communication.attachment_set_id, [])


def communication_page(
    case: Case,
    *,
    after: datetime | None = None,
    before: datetime | None = None,
    limit: int = 100,
    cursor: dict[str, Any] | None = None,
) -> Page:
    """A case's communications, newest first, with their attachments (two queries)."""
    queryset = Communication.objects.filter(case=case)
    if after is not None:
        queryset = queryset.filter(created_at__gte=after)
    if before is not None:
        queryset = queryset.filter(created_at__lte=before)
    if cursor is not None:
        moment = _cursor_time(cursor)
        queryset = queryset.filter(
            Q(created_at__lt=moment) | Q(created_at=moment, communication_id__lt=str(cursor["c"]))
        )
    rows = list(queryset.order_by("-created_at", "-communication_id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    _attach_attachments(rows)
    return Page(rows, _communication_cursor(rows[-1]) if more and rows else None)


def communication_cursor_after(communication: Communication) -> dict[str, Any]:
    """The cursor that continues after `communication` (for recentCommunications.nextToken)."""
    return _communication_cursor(communication)


def case_list_for_principal(
    principal: Principal,
    *,
    q: str = "",
    state: str = "open",
    status: str = "",
    severity: str = "",
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    order: str = "-created_at",
) -> QuerySet[Case]:
    """The principal's cases for the case list: open cases first, then `order`; filtered in the
    database and ready to paginate (one query per page plus one count)."""
    queryset = access.cases_for_principal(principal).select_related("service", "severity")
    if state == "open":
        queryset = queryset.exclude(status=CaseStatus.RESOLVED)
    elif state == "resolved":
        queryset = queryset.filter(status=CaseStatus.RESOLVED)
    if status:
        queryset = queryset.filter(status=status)
    if severity:
        queryset = queryset.filter(severity__code=severity)
    if created_after is not None:
        queryset = queryset.filter(created_at__gte=created_after)
    if created_before is not None:
        queryset = queryset.filter(created_at__lt=created_before)
    if q:
        in_correspondence = Communication.objects.filter(case=OuterRef("pk"), body__icontains=q)
        queryset = queryset.filter(Q(subject__icontains=q) | Exists(in_correspondence))
    if state in ("open", "resolved"):
        # One group only: the plain order can walk the (account, created_at) index.
        return queryset.order_by(order, "-display_id")
    resolved_last = SqlCase(
        When(status=CaseStatus.RESOLVED, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return queryset.annotate(resolved_last=resolved_last).order_by(
        "resolved_last", order, "-display_id"
    )


class IdPaginator(Paginator):
    """Pages through a queryset by selecting the page's primary keys first (an index-only walk
    past the offset) and only then those rows, with `related` joined: deep pages stay cheap."""

    object_list: QuerySet[Any]

    def __init__(
        self,
        object_list: QuerySet[Any],
        per_page: int | str,
        *,
        related: Iterable[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.related = tuple(related)

    def page(self, number: int | str) -> PaginatorPage[Any]:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        ids = list(self.object_list.values_list("pk", flat=True)[bottom : bottom + self.per_page])
        manager = self.object_list.model._default_manager
        rows = manager.select_related(*self.related).in_bulk(ids)
        # Paginator._get_page (the Page factory hook) is missing from django-stubs.
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class SortKey:
    """One column of a keyset order, ascending. `nulls_first=None` means where the database puts
    NULLs in an ascending index declared without NULLS FIRST/LAST: first on SQLite, last on
    PostgreSQL (`features.nulls_order_largest`); the order then matches such an index on both."""

    field: str
    nulls_first: bool | None = None


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
    # Where NULLs come in the direction being read (after reversing, for a backwards read).
    nulls_first: bool


def _columns(queryset: QuerySet[Any], keys: Sequence[SortKey], backwards: bool) -> list[_Column]:
    nulls_largest = connections[queryset.db].features.nulls_order_largest
    columns = []
    for key in keys:
        nulls_first = not nulls_largest if key.nulls_first is None else key.nulls_first
        nullable = queryset.model._meta.get_field(key.field).null
        columns.append(_Column(key.field, nullable, nulls_first != backwards))
    return columns


def _order_by(queryset: QuerySet[Any], columns: list[_Column], backwards: bool) -> list[OrderBy]:
    # NULLS FIRST/LAST is spelled out only where it differs from the database's own placement:
    # the ORDER BY then reads as the index does (or as the index read backwards).
    nulls_largest = connections[queryset.db].features.nulls_order_largest
    default_nulls_first = nulls_largest if backwards else not nulls_largest
    order = []
    for column in columns:
        expression = F(column.name)
        if not column.nullable or column.nulls_first == default_nulls_first:
            order.append(expression.desc() if backwards else expression.asc())
        elif column.nulls_first:
            order.append(
                expression.desc(nulls_first=True) if backwards else expression.asc(nulls_first=True)
            )
        else:
            order.append(
                expression.desc(nulls_last=True) if backwards else expression.asc(nulls_last=True)
            )
    return order


def keyset_order(queryset: QuerySet[Any], keys: Sequence[SortKey]) -> QuerySet[Any]:
    """`queryset` ordered by `keys`, NULLs placed as `keyset_page` reads them."""
    return queryset.order_by(*_order_by(queryset, _columns(queryset, keys, False), False))


def _is(column: _Column, value: Any) -> Q:
    """The column equals `value`, NULL included."""
    return Q(**{f"{column.name}__isnull": True}) if value is None else Q(**{column.name: value})


def _beyond(column: _Column, value: Any, backwards: bool) -> Q | None:
    """The column's values past `value` in the reading order (None: there are none)."""
    if value is None:
        # Past a NULL come the values when NULLs come first; nothing when they come last.
        return Q(**{f"{column.name}__isnull": False}) if column.nulls_first else None
    # A comparison is never true for NULL: NULLs that come last are added by name.
    beyond = Q(**{f"{column.name}__{'lt' if backwards else 'gt'}": value})
    if column.nullable and not column.nulls_first:
        beyond |= Q(**{f"{column.name}__isnull": True})
    return beyond


def _after(columns: list[_Column], key: tuple[Any, ...], backwards: bool) -> Q:
    """Rows after `key` in the reading order, as one condition (k1 past v1, or k1 = v1 and k2
    past v2, ...): exact, but no database seeks on it alone."""
    condition: Q | None = None
    for column, value in reversed(list(zip(columns, key, strict=True))):
        beyond = _beyond(column, value, backwards)
        deeper = _is(column, value) & condition if condition is not None else None
        if beyond is not None and deeper is not None:
            condition = beyond | deeper
        else:
            condition = beyond if beyond is not None else deeper
    # The last key is unique and never NULL, so there is always a condition.
    assert condition is not None
    return condition


def _ranges_after(
    columns: list[_Column], key: tuple[Any, ...], backwards: bool, prefix: Q | None = None
) -> list[Q]:
    """Rows after `key` in the reading order, as the ranges of the index they fill, in order:
    each an equality (or IS NULL) prefix and a bound the database seeks to, plus `_after` to
    drop the few rows between the bound and the key. With no NULL in the key and no NULLs to come
    last, that is one range; else a range for the rows that share the key's NULL (sought on the
    next column), then one for the values after it, and one for NULLs that come last."""
    prefix = prefix if prefix is not None else Q()
    column, value = columns[0], key[0]
    if value is None:
        ranges = []
        if len(columns) > 1:
            ranges = _ranges_after(columns[1:], key[1:], backwards, prefix & _is(column, None))
        if column.nulls_first:
            ranges.append(prefix & Q(**{f"{column.name}__isnull": False}))
        return ranges
    bound = Q(**{f"{column.name}__{'lte' if backwards else 'gte'}": value})
    ranges = [prefix & bound & _after(columns, key, backwards)]
    if column.nullable and not column.nulls_first:
        ranges.append(prefix & Q(**{f"{column.name}__isnull": True}))
    return ranges


def keyset_page(
    queryset: QuerySet[Any], keys: Sequence[SortKey], *, cursor: Cursor | None, limit: int
) -> KeysetPage:
    """One page of `queryset` in `keys` order, after (or, backwards, before) `cursor`, each query
    a seek into an index on `keys` whatever the depth (the last key must be unique and not null,
    so no two rows share a sort key).

    The first page is one query, and so is a page that lies in one range of the index (see
    `_ranges_after`): always, when no key is NULL. A page that reaches into the next range (from
    the rows that share a NULL into the values after them) reads it with one query more, for only
    the rows still missing. One UNION ALL of the ranges would keep it to one query, but each part
    would read a page of its own, and a filter that matches few rows in a later range (unassigned
    cases among the answered ones) would read all of that range on every page.

    If the rows around the cursor have gone since the link was drawn (a read forwards finds
    nothing, or backwards less than a page), the first page is read instead: one query more.
    """
    backwards = cursor is not None and cursor.backwards
    columns = _columns(queryset, keys, backwards)
    order = _order_by(queryset, columns, backwards)
    if cursor is None:
        rows = list(queryset.order_by(*order)[: limit + 1])
        more = len(rows) > limit
        rows = rows[:limit]
        return KeysetPage(rows, _cursor(rows[-1], keys) if more else None, None)
    rows = []
    # The ranges come in reading order and do not overlap: their rows, one after the other, are
    # the rows after the cursor in order.
    for part in _ranges_after(columns, cursor.key, backwards):
        rows += queryset.filter(part).order_by(*order)[: limit + 1 - len(rows)]
        if len(rows) > limit:
            break
    more = len(rows) > limit
    rows = rows[:limit]
    # The rows around the cursor may have left the list since the link was drawn: rather than an
    # empty page or a short first one, show the first page.
    if (not backwards and not rows) or (backwards and len(rows) < limit):
        return keyset_page(queryset, keys, cursor=None, limit=limit)
    if not backwards:
        return KeysetPage(
            rows,
            _cursor(rows[-1], keys) if more else None,
            _cursor(rows[0], keys, backwards=True),
        )
    rows.reverse()
    return KeysetPage(
        rows,
        _cursor(rows[-1], keys),
        _cursor(rows[0], keys, backwards=True) if more else None,
    )


def _cursor(row: Any, keys: Sequence[SortKey], *, backwards: bool = False) -> Cursor:
    return Cursor(tuple(getattr(row, key.field) for key in keys), backwards)


def cursor_dump(cursor: Cursor) -> dict[str, Any]:
    """A cursor as JSON-ready data (for core.pagination.encode)."""
    values = [v.isoformat() if isinstance(v, datetime) else v for v in cursor.key]
    return {"k": values, "b": cursor.backwards}


def cursor_load(model: type[Any], keys: Sequence[SortKey], data: dict[str, Any]) -> Cursor:
    """The cursor that `cursor_dump` wrote; ValueError if `data` is not one for `keys`."""
    values = data.get("k")
    if not isinstance(values, list) or len(values) != len(keys):
        raise ValueError("bad cursor")
    key: list[Any] = []
    for sort_key, value in zip(keys, values, strict=True):
        field = model._meta.get_field(sort_key.field)
        if value is None:
            if not field.null:
                raise ValueError("bad cursor")
            key.append(None)
            continue
        try:
            parsed = field.to_python(value)
        except ValidationError:
            raise ValueError("bad cursor") from None
        if isinstance(parsed, datetime) and parsed.tzinfo is None:
            raise ValueError("bad cursor")
        key.append(parsed)
    return Cursor(tuple(key), bool(data.get("b")))


def case_communications(case: Case) -> list[Communication]:
    """All of a case's correspondence, newest first, with attachments (two queries)."""
    communications = list(
        Communication.objects.filter(case=case)
        .select_related("author")
        .order_by("-created_at", "-communication_id")
    )
    _attach_attachments(communications)
    return communications
