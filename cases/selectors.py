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

from django.core.paginator import Paginator
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
from django.db.models.functions import RowNumber
from django.utils.dateparse import parse_datetime

from accounts import access
from accounts.principals import Principal
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


def case_communications(case: Case) -> list[Communication]:
    """All of a case's correspondence, newest first, with attachments (two queries)."""
    communications = list(
        Communication.objects.filter(case=case)
        .select_related("author")
        .order_by("-created_at", "-communication_id")
    )
    _attach_attachments(communications)
    return communications
