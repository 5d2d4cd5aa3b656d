"""Reads for cases and their correspondence, paginated in the database with keyset cursors.

Every function issues a fixed number of queries whatever the page size: the page itself, the
recent communications of all cases on it (one window-function query), and their attachments.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from accounts.access import is_allowed
from accounts.models import User
from accounts.principals import Principal
from cases import access, case_page_sql, search
from cases.case_page_sql import CASE_PAGE_ORDER
from cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseReadMark,
    CaseStatus,
    Communication,
    CommunicationOrigin,
    InternalNote,
)
from catalog.models import Severity
from core import rawload
from core.paging import Cursor, KeysetPage, SortKey, cursor_after, keyset_page

RECENT_COMMUNICATIONS = 5


# A case's correspondence, newest first; communication ids are unique.
COMMUNICATION_ORDER = (
    SortKey("created_at", descending=True),
    SortKey("communication_id", descending=True),
)


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
    cursor: Cursor | None = None,
) -> KeysetPage:
    """Cases the principal may see, newest first, one page of at most `limit` after `cursor`
    (one query; the cases alone: their service, category and severity codes come from the
    catalog snapshot, `catalog.cache`)."""
    filters = case_page_sql.CaseFilters(
        case_ids, display_id, after, before, include_resolved, language
    )
    account_id = access.cases_account(principal)
    if account_id is not None and case_page_sql.composable(filters, cursor):
        return case_page_sql.case_page_composed(account_id, filters, limit, cursor)
    return keyset_page(
        case_page_sql.case_queryset(access.cases_for_principal(principal), filters),
        CASE_PAGE_ORDER,
        cursor=cursor,
        limit=limit,
        restart=False,
    )


def case_ids_known(principal: Principal, case_ids: list[str]) -> set[str]:
    """Which of `case_ids` name cases the principal may see, whatever their status (one query;
    for DescribeCases' not-found answer)."""
    account_id = access.cases_account(principal)
    if account_id is None or not case_page_sql.composable(
        case_page_sql.CaseFilters(case_ids, None, None, None, True, None), None
    ):
        return set(
            access.cases_for_principal(principal)
            .filter(case_id__in=case_ids)
            .values_list("case_id", flat=True)
        )
    ids = list(dict.fromkeys(case_ids))
    params = [account_id, *(case_page_sql.case_prep("case_id", i) for i in ids)]
    return {row[0] for row in rawload.fetch_all(case_page_sql.case_ids_sql(len(ids)), params)}


def recent_communications(
    cases: Iterable[Case], *, per_case: int = RECENT_COMMUNICATIONS
) -> dict[int, tuple[list[Communication], int]]:
    """The newest `per_case` communications of each case, with each case's total count, in one
    query (window functions); attachments are attached as `attachment_list` in one more.
    """
    case_ids = [case.pk for case in cases]
    if not case_ids:
        return {}
    communications = []
    totals: dict[int, int] = {}
    width = rawload.width(Communication)
    for row in rawload.fetch_all(_recent_sql(len(case_ids)), [*case_ids, per_case]):
        communication = rawload.instance(Communication, row[:width])
        totals[communication.case_id] = row[width]
        communications.append(communication)
    _attach_attachments(communications)
    result: dict[int, tuple[list[Communication], int]] = {pk: ([], 0) for pk in case_ids}
    for communication in communications:
        result[communication.case_id][0].append(communication)
    for pk, total in totals.items():
        result[pk] = (result[pk][0], total)
    return result


@functools.lru_cache(maxsize=64)
def _recent_sql(cases: int) -> str:
    """The newest communications of each of `cases` cases, with each case's count, by window
    functions (the same text on SQLite and PostgreSQL; composed once per page size, as the
    ORM's compilation of it cost more than running it)."""
    q = rawload.quote
    marks = ", ".join(["%s"] * cases)
    return (
        f"SELECT * FROM (SELECT {rawload.columns(Communication, 'c')}, "
        f"COUNT(*) OVER (PARTITION BY c.{q('case_id')}) AS total, "
        f"ROW_NUMBER() OVER (PARTITION BY c.{q('case_id')} ORDER BY c.{q('created_at')} DESC, "
        f"c.{q('communication_id')} DESC) AS position "
        f"FROM {q(Communication._meta.db_table)} c WHERE c.{q('case_id')} IN ({marks})) ranked "
        f"WHERE position <= %s ORDER BY {q('case_id')}, position"
    )


def _attach_attachments(communications: Sequence[Communication | InternalNote]) -> None:
    # The ORM deduplicates an IN list's values, so does this (the statement is the ORM's).
    set_ids = list(
        dict.fromkeys(c.attachment_set_id for c in communications if c.attachment_set_id)
    )
    by_set: dict[int | None, list[Attachment]] = defaultdict(list)
    if set_ids:
        for row in rawload.fetch_all(_attachments_sql(len(set_ids)), set_ids):
            attachment = rawload.instance(Attachment, row)
            by_set[attachment.attachment_set_id].append(attachment)
    for communication in communications:
        communication.attachment_list = by_set.get(communication.attachment_set_id, [])


@functools.lru_cache(maxsize=128)
def _attachments_sql(sets: int) -> str:
    """The attachments of `sets` attachment sets, oldest first: the ORM's text of
    `Attachment.objects.filter(attachment_set_id__in=...).order_by("created_at", "id")`,
    composed once per number of sets (compiling it cost more than running it)."""
    q = rawload.quote
    table = q(Attachment._meta.db_table)
    columns = ", ".join(f"{table}.{q(field.column)}" for field in Attachment._meta.concrete_fields)
    marks = ", ".join(["%s"] * sets)
    return (
        f"SELECT {columns} FROM {table} WHERE {table}.{q('attachment_set_id')} IN ({marks}) "
        f"ORDER BY {table}.{q('created_at')} ASC, {table}.{q('id')} ASC"
    )


def communication_page(
    case: Case,
    *,
    after: datetime | None = None,
    before: datetime | None = None,
    limit: int = 100,
    cursor: Cursor | None = None,
) -> KeysetPage:
    """A case's communications, newest first, with their attachments (two queries)."""
    queryset = Communication.objects.filter(case=case)
    if after is not None:
        queryset = queryset.filter(created_at__gte=after)
    if before is not None:
        queryset = queryset.filter(created_at__lte=before)
    page = keyset_page(queryset, COMMUNICATION_ORDER, cursor=cursor, limit=limit, restart=False)
    _attach_attachments(page.items)
    return page


def communication_cursor_after(communication: Communication) -> Cursor:
    """The cursor that continues after `communication` (for recentCommunications.nextToken)."""
    return cursor_after(communication, COMMUNICATION_ORDER)


# The case list's sort choices (cases.forms.SORTS names them); display ids break ties and are
# unique, so each is a keyset order.
CASE_LIST_ORDERS: dict[str, tuple[SortKey, ...]] = {
    "newest": (SortKey("created_at", descending=True),),
    "oldest": (SortKey("created_at"),),
    # Five levels: a page seeks on (level, display id) together (`SortKey.shared`).
    "severity": (SortKey("severity_level", descending=True, shared=True),),
    "subject": (SortKey("subject"),),
    "updated": (SortKey("updated_at", descending=True),),
}
_TIE_BREAK = SortKey("display_id", descending=True)
# With open and resolved cases together, the open ones come first: two groups, each read in the
# list's order from its own index (core.paging's `groups`) rather than sorted by state.
_OPEN_THEN_RESOLVED = (~Q(status=CaseStatus.RESOLVED), Q(status=CaseStatus.RESOLVED))


@dataclass(frozen=True)
class CaseList:
    """The case list's cases, filtered in the database, and how to page them: `keys` order,
    group by group when `groups` is set (`core.paging.keyset_page`)."""

    queryset: QuerySet[Case]
    keys: tuple[SortKey, ...]
    groups: tuple[Q, ...] | None = None


def case_list_for_principal(
    principal: Principal,
    *,
    q: str = "",
    state: str = "open",
    status: str = "",
    severity: str = "",
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    sort: str = "newest",
) -> CaseList:
    """The principal's cases for the case list, filtered in the database, and their keyset order:
    open cases first (when both kinds are listed), then `sort`. Read a page with
    `core.paging.keyset_page` (two queries a page, the cases and their severities; four for a
    page that runs from the open cases into the resolved ones; no count). Each filter has an
    index that reads the account's cases newest first: (account, created_at), (account,
    status, created_at), (account, severity, created_at); words are matched as
    `cases.search.matching` says (one or two queries
    before the page)."""
    # Severities in a query of their own (a few rows, by pk): joined, SQLite's planner reads the
    # account's cases severity by severity through (account, severity, created_at) and sorts
    # them all.
    queryset = (
        access.cases_for_principal(principal).select_related("service").prefetch_related("severity")
    )
    # A status chosen is a state already: "Resolved" under the list's default "Open cases"
    # would otherwise match nothing (and an open status under "Resolved cases" too).
    if status:
        queryset = queryset.filter(status=status)
    elif state == "open":
        queryset = queryset.exclude(status=CaseStatus.RESOLVED)
    elif state == "resolved":
        queryset = queryset.filter(status=CaseStatus.RESOLVED)
    if severity:
        # The severity's id as a value (a scalar subquery) rather than a join on its code: the
        # (account, severity, created_at) index then serves the filter and the order together.
        queryset = queryset.filter(
            severity_id=Subquery(Severity.objects.filter(code=severity).values("pk")[:1])
        )
    if created_after is not None:
        queryset = queryset.filter(created_at__gte=created_after)
    if created_before is not None:
        queryset = queryset.filter(created_at__lt=created_before)
    if q:
        # Filtered by the full-text index; the list keeps its chosen order. Correspondence is
        # searched only for those who may read it (support:DescribeCommunications).
        account = access.customer_account(principal)
        queryset = search.matching(
            queryset,
            q,
            subjects_only=not is_allowed(principal, "support:DescribeCommunications"),
            account_pk=account.pk if account is not None else None,
        )
    keys = (*CASE_LIST_ORDERS.get(sort, CASE_LIST_ORDERS["newest"]), _TIE_BREAK)
    if state in ("open", "resolved") or status:
        # One group only: the plain order walks the account's index.
        return CaseList(queryset, keys)
    return CaseList(queryset, keys, _OPEN_THEN_RESOLVED)


def case_communications(case: Case) -> list[Communication]:
    """All of a case's correspondence, newest first, with attachments (two queries)."""
    communications = list(
        Communication.objects.filter(case=case)
        .select_related("author")
        .order_by("-created_at", "-communication_id")
    )
    _attach_attachments(communications)
    return communications


@dataclass(frozen=True)
class ChatEntry:
    """One line of a chat: a message, or an engineer joining (`joined`: their name, or "")."""

    at: datetime
    message: Communication | None = None
    joined: str | None = None


@dataclass(frozen=True)
class ChatLog:
    entries: list[ChatEntry]
    # Where the next poll starts: the last message and assignment seen.
    after_message: int
    after_event: int


def chat_log(case: Case, *, after_message: int = 0, after_event: int = 0) -> ChatLog:
    """A case's conversation oldest first, as a chat shows it: its messages with their
    attachments, and the engineers who joined (assignments); only what came after the cursors
    (row ids), for polling. Two queries, three when a message has files."""
    messages = list(
        Communication.objects.filter(case=case, pk__gt=after_message)
        .select_related("author")
        .order_by("pk")
    )
    _attach_attachments(messages)
    joins = list(
        CaseEvent.objects.filter(case=case, kind=CaseEventKind.ASSIGNED, pk__gt=after_event)
        .order_by("pk")
        .values_list("pk", "created_at", "data")
    )
    entries = [ChatEntry(at=m.created_at, message=m) for m in messages]
    entries += [ChatEntry(at=at, joined=str(data.get("name", ""))) for _pk, at, data in joins]
    entries.sort(key=lambda entry: entry.at)
    return ChatLog(
        entries=entries,
        after_message=messages[-1].pk if messages else after_message,
        after_event=joins[-1][0] if joins else after_event,
    )


def latest_communication_pk(case: Case) -> int:
    """The row id of the case's newest message (0 when none): what a reply was written against."""
    return (
        Communication.objects.filter(case=case).order_by("-pk").values_list("pk", flat=True).first()
        or 0
    )


def open_cases_of_account(case: Case, *, limit: int = 5) -> tuple[list[Case], int]:
    """The account's other open cases, newest first (at most `limit`), and how many there are:
    two queries, whatever the account's size."""
    others = Case.objects.filter(account_id=case.account_id).exclude(pk=case.pk)
    others = others.exclude(status=CaseStatus.RESOLVED)
    return list(others.select_related("severity").order_by("-created_at")[:limit]), others.count()


def case_internal_notes(case: Case) -> list[InternalNote]:
    """A case's internal notes, newest first, with their authors and files (two queries)."""
    notes = list(
        InternalNote.objects.filter(case=case)
        .select_related("author")
        .order_by("-created_at", "-id")
    )
    _attach_attachments(notes)
    return notes


# What a browser may show of an attachment rather than download it: raster images and plain
# text, served with their own type, nosniff and a sandboxing CSP. SVG can carry script, so it
# is never previewed; anything else is a download.
PREVIEW_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
PREVIEW_TEXT_SUFFIXES = (".txt", ".log", ".csv", ".json", ".out", ".err")


def attachment_preview(attachment: Attachment) -> str | None:
    """ "image" or "text" when `attachment` can be shown in the browser, else None."""
    if attachment.content_type in PREVIEW_IMAGE_TYPES:
        return "image"
    if attachment.content_type == "text/plain" or attachment.file_name.lower().endswith(
        PREVIEW_TEXT_SUFFIXES
    ):
        return "text"
    return None


def unread_case_pks(user: User, cases: Sequence[Case]) -> set[int]:
    """The cases among `cases` (a page) that Support answered after `user` last read them: one
    query for the page's read marks, none when no case on it has an answer. Answers from before
    the user existed don't count (a new IAM user doesn't inherit the account's whole history
    as unread)."""
    answered = {
        case.pk: case.last_support_reply_at
        for case in cases
        if case.last_support_reply_at is not None and case.last_support_reply_at > user.created_at
    }
    if not answered:
        return set()
    seen = dict(
        CaseReadMark.objects.filter(user=user, case_id__in=list(answered)).values_list(
            "case_id", "seen_at"
        )
    )
    return {pk for pk, answer in answered.items() if pk not in seen or seen[pk] < answer}


@dataclass(frozen=True)
class Suggestion:
    """An earlier resolved case like the one being written, with how it was resolved (the last
    answer from Support; empty when the reader may not read correspondence)."""

    case: Case
    resolution: str


def similar_resolved_cases(principal: Principal, q: str, *, limit: int = 5) -> list[Suggestion]:
    """The principal's account's resolved cases most like a subject being typed (`q`), best
    first, each with its resolution; never another account's (`cases_for_principal`), never a
    test case. A reader not allowed DescribeCommunications is matched on subjects only and sees
    no resolution: a match on correspondence would tell what it says. Three queries (the
    ranked matches, then the cases with their last answers), none for a `q` without words."""
    account = access.customer_account(principal)
    if account is None:
        return []
    can_read = is_allowed(principal, "support:DescribeCommunications")
    candidates = access.cases_for_principal(principal).filter(
        account=account, status=CaseStatus.RESOLVED, is_test=False
    )
    pks = search.similar(q, candidates, subjects_only=not can_read, limit=limit)
    if not pks:
        return []
    cases = Case.objects.select_related("service")
    if can_read:
        last_answer = Communication.objects.filter(
            case=OuterRef("pk"), origin=CommunicationOrigin.SUPPORT
        ).order_by("-created_at", "-id")
        cases = cases.annotate(resolution=Subquery(last_answer.values("body")[:1]))
    by_pk = cases.in_bulk(pks)
    return [
        Suggestion(by_pk[pk], getattr(by_pk[pk], "resolution", None) or "")
        for pk in pks
        if pk in by_pk
    ]


def related_case(principal: Principal, case: Case) -> Case | None:
    """The earlier case `case` follows up, if `principal` may see it (one query, none when
    there is none): loaded through the principal's cases, so a link never leads across
    accounts whatever the row holds."""
    if case.related_case_id is None:
        return None
    return access.cases_for_principal(principal).filter(pk=case.related_case_id).first()
