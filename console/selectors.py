"""Reads for the engineers' console: the queue and the dashboard's figures."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Lower, TruncDate
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _

from accounts.countries import country_name
from accounts.models import User
from advisor.services import checks_available
from advisor.summaries import account_summary
from cases import search as case_search
from cases import selectors as case_selectors
from cases.lifecycle import OPEN_STATUSES
from cases.models import Case, CaseStatus
from catalog.models import localized
from connections.selectors import aws_connection_get
from console.models import TYPING_WINDOW, VIEWING_WINDOW, CaseViewer
from core.paging import Cursor, KeysetPage, SortKey, keyset_order, keyset_page

ACTIVE = [s.value for s in OPEN_STATUSES]

# Unanswered cases first (NULLS FIRST on every database), then by deadline, age and number: the
# order of the case_engineer_queue index (cases/migrations/0002), so a page is a seek into the
# index instead of a sort. The deadline is nullable (the model allows it, though case_create always
# sets one); its NULLs go where that index, declared without NULLS FIRST/LAST, puts them: first
# on SQLite, last on PostgreSQL. display_id is unique, so no two cases share a sort key.
QUEUE_ORDER = (
    SortKey("first_responded_at", nulls_first=True),
    SortKey("first_response_due_at"),
    SortKey("created_at"),
    SortKey("display_id"),
)


def queue(
    *,
    plan: str = "",
    severity: str = "",
    service: str = "",
    status: str = "",
    assignee: str = "",
    breached: bool = False,
    contact_methods: tuple[str, ...] = (),
    service_ids: list[int] | None = None,
    now: datetime | None = None,
) -> QuerySet[Case]:
    """Unassigned and active cases in QUEUE_ORDER: unanswered cases first, earliest
    first-response deadline first, then the answered ones. Read a page at a time with
    `core.paging` (keyset: as cheap deep in the queue as at its head; one query, two for the
    page that runs from the unanswered cases into the answered ones, three on PostgreSQL going
    forwards, where unanswered cases without a deadline are a range of their own)."""
    now = now or timezone.now()
    # Test cases are answered by a script (cases.services.testscript), never by engineers.
    queryset = Case.objects.filter(status__in=ACTIVE, is_test=False).select_related(
        "account", "account__plan", "severity", "service", "assignee"
    )
    if plan:
        queryset = queryset.filter(account__plan__code=plan)
    if severity:
        queryset = queryset.filter(severity__code=severity)
    if service:
        queryset = queryset.filter(service__code=service)
    if status:
        queryset = queryset.filter(status=status)
    if assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif assignee:
        queryset = queryset.filter(assignee__login=assignee)
    if breached:
        queryset = queryset.filter(
            Q(first_responded_at__isnull=True, first_response_due_at__lt=now)
            | Q(first_response_met=False)
            | Q(next_reply_due_at__lt=now)
            | Q(next_replies_missed__gt=0)
        )
    if contact_methods:
        queryset = queryset.filter(contact_method__in=contact_methods)
    if service_ids is not None:
        queryset = queryset.filter(service_id__in=service_ids)
    return keyset_order(queryset, QUEUE_ORDER)


class SearchKind:
    CASE_ID = "case-id"
    NUMBER = "number"
    EMAIL = "email"
    TEXT = "text"


_CASE_ID = re.compile(r"case-\d{12}-[a-z0-9]{4}-\d{4}-[0-9a-f]{16}")
_NUMBER = re.compile(r"\d{1,18}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
SEARCH_STATES = ("all", "open", "resolved")


def search_kind(q: str) -> str:
    """What the console's search box was given: a case id, a number (an account id when it
    has twelve digits, else a display id), a submitter's address, or words to look for in
    subjects and correspondence."""
    if _CASE_ID.fullmatch(q.lower()):
        return SearchKind.CASE_ID
    if _NUMBER.fullmatch(q):
        return SearchKind.NUMBER
    if _EMAIL.fullmatch(q):
        return SearchKind.EMAIL
    return SearchKind.TEXT


def search_page(
    q: str, *, state: str = "all", number: int = 1, size: int = 25
) -> tuple[list[Case], bool]:
    """Page `number` of every account's cases matching `q` (see `search_kind`) and whether
    another page follows: identifiers newest first, from their indexes (case id, display id,
    the accounts' and cases' account indexes, the lower-cased submitter) in one query; words
    best match first, ranked by the full-text engine among their newest
    `cases.search.MAX_RANKED` matches, then the page (on SQLite one query more to size the
    words; one more with a state filter). Bounded work whatever the number of matches."""
    q = q.strip()
    cases = Case.objects.select_related(
        "account", "account__plan", "severity", "service", "assignee"
    )
    if state == "open":
        cases = cases.filter(status__in=ACTIVE)
    elif state == "resolved":
        cases = cases.filter(status=CaseStatus.RESOLVED)
    start = (number - 1) * size
    kind = search_kind(q)
    if kind != SearchKind.TEXT:
        if kind == SearchKind.CASE_ID:
            cases = cases.filter(case_id=q.lower())
        elif kind == SearchKind.NUMBER and len(q) == 12:
            # Account ids have twelve digits and display ids fewer (they count from a million):
            # one condition, so the (account, created_at) index serves the newest-first order.
            # An OR with the display id had SQLite walk every case by date instead.
            cases = cases.filter(account__account_id=q)
        elif kind == SearchKind.NUMBER:
            cases = cases.filter(display_id=int(q))
        else:
            cases = cases.alias(submitter_lower=Lower("submitted_by")).filter(
                submitter_lower=q.lower()
            )
        rows = list(cases.order_by("-created_at", "-display_id")[start : start + size + 1])
        return rows[:size], len(rows) > size
    order = case_search.ranked(q)
    if state != "all":
        kept = set(cases.filter(pk__in=order).values_list("pk", flat=True))
        order = [pk for pk in order if pk in kept]
    wanted = order[start : start + size]
    by_pk = cases.in_bulk(wanted) if wanted else {}
    return [by_pk[pk] for pk in wanted if pk in by_pk], len(order) > start + size


def queue_page(queryset: QuerySet[Case], *, cursor: Cursor | None, limit: int) -> KeysetPage:
    """One page of `queue()` in QUEUE_ORDER, after or before `cursor`."""
    return keyset_page(queryset, QUEUE_ORDER, cursor=cursor, limit=limit)


def account_panel(case: Case) -> dict[str, Any]:
    """What an engineer wants to know about the case's account: its plan and whereabouts (on
    the case already), its other open cases, and, when it has connected its AWS environment,
    its Trusted Advisor at a glance: checks per status in each category, the estimated savings
    and the last refresh (four queries, whatever the number of checks)."""
    others, open_count = case_selectors.open_cases_of_account(case)
    account = case.account
    advisor = None
    if aws_connection_get(account) is not None:
        advisor = account_summary(account, checks_available(account))
    return {
        "account": account,
        "country": country_name(account.country),
        "others": others,
        "open_count": open_count,
        "advisor": advisor,
    }


def engineers() -> QuerySet[User]:
    """The engineers a case may be assigned to: those who can open it in the console (which
    requires staff rights, `engineer_required`)."""
    return User.objects.filter(kind="engineer", is_active=True, is_staff=True).order_by("login")


@dataclass(frozen=True)
class Clock:
    """An SLA clock in plain words for the queue and the case page."""

    label: str
    overdue: bool = False


def _countdown(due: datetime, now: datetime) -> Clock:
    if due >= now:
        return Clock(_("%(time)s left") % {"time": timeuntil(due, now)})
    return Clock(_("Overdue by %(time)s") % {"time": timeuntil(now, due)}, overdue=True)


def first_response_clock(case: Case, now: datetime) -> Clock:
    if case.is_test:
        return Clock(_("No target: a test case"))
    if case.first_responded_at is not None:
        return Clock(_("Answered, met") if case.first_response_met else _("Answered, breached"))
    if case.first_response_due_at is None:
        return Clock("—")
    return _countdown(case.first_response_due_at, now)


def next_reply_clock(case: Case, now: datetime) -> Clock | None:
    """The next-reply clock once the case is answered (None before): counting down while the
    case waits for Support, paused while it waits for the customer."""
    if case.first_responded_at is None:
        return None
    if case.next_reply_due_at is not None:
        return _countdown(case.next_reply_due_at, now)
    if case.status == CaseStatus.PENDING_CUSTOMER_ACTION:
        return Clock(_("Paused, waiting for the customer"))
    return Clock("—")


def dashboard(now: datetime | None = None, days: int = 30) -> dict[str, object]:
    """Aggregates for the dashboard, each one query over the cases table; test cases are left
    out (they are no one's work and count against no target)."""
    now = now or timezone.now()
    real = Case.objects.filter(is_test=False)
    since = now - timedelta(days=days)
    per_day = {
        row["day"]: row["n"]
        for row in real.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day")
        .annotate(n=Count("id"))
    }
    dates = [(since + timedelta(days=i + 1)).date() for i in range(days)]
    new_cases = {
        "labels": [d.isoformat() for d in dates],
        "values": [per_day.get(d, 0) for d in dates],
    }

    def attainment(field: str, order: str, field_ja: str = "") -> dict[str, list]:
        """Per severity or plan: the share of first responses, and of next replies, on time;
        labelled in the active language where the catalog has a Japanese name (`field_ja`)."""
        rows = (
            real.filter(first_response_met__isnull=False)
            .values(field, order, *([field_ja] if field_ja else []))
            .annotate(
                met=Count("id", filter=Q(first_response_met=True)),
                total=Count("id"),
                replies=Sum("next_replies"),
                missed=Sum("next_replies_missed"),
            )
            .order_by(order)
        )
        table = [
            {
                "label": localized(row[field], row[field_ja]) if field_ja else row[field],
                "first": round(100 * row["met"] / row["total"], 1),
                "answered": row["total"],
                "next": round(100 * (row["replies"] - row["missed"]) / row["replies"], 1)
                if row["replies"]
                else None,
                "replies": row["replies"] or 0,
            }
            for row in rows
        ]
        return {
            "labels": [row["label"] for row in table],
            "values": [row["first"] for row in table],
            "next_reply": [row["next"] for row in table],
            "rows": table,
        }

    by_severity = attainment("severity__name", "severity__level", "severity__name_ja")
    by_plan = attainment("account__plan__name", "account__plan__position")
    buckets = [
        (_("under 1 day"), now - timedelta(days=1), now + timedelta(days=1)),
        (_("1-3 days"), now - timedelta(days=3), now - timedelta(days=1)),
        (_("3-7 days"), now - timedelta(days=7), now - timedelta(days=3)),
        (_("7-30 days"), now - timedelta(days=30), now - timedelta(days=7)),
        (_("over 30 days"), datetime.min.replace(tzinfo=now.tzinfo), now - timedelta(days=30)),
    ]
    aggregates = real.filter(status__in=ACTIVE).aggregate(
        **{
            f"b{i}": Count("id", filter=Q(created_at__gte=start, created_at__lt=end))
            for i, (_, start, end) in enumerate(buckets)
        },
        breaching_soon=Count(
            "id",
            filter=Q(
                first_responded_at__isnull=True,
                first_response_due_at__gte=now,
                first_response_due_at__lt=now + timedelta(hours=1),
            ),
        ),
        overdue=Count(
            "id", filter=Q(first_responded_at__isnull=True, first_response_due_at__lt=now)
        ),
        next_reply_soon=Count(
            "id",
            filter=Q(next_reply_due_at__gte=now, next_reply_due_at__lt=now + timedelta(hours=1)),
        ),
        next_reply_overdue=Count("id", filter=Q(next_reply_due_at__lt=now)),
        open_total=Count("id"),
        unassigned=Count("id", filter=Q(status=CaseStatus.UNASSIGNED)),
    )
    backlog = {
        "labels": [label for label, _, _ in buckets],
        "values": [aggregates[f"b{i}"] for i in range(len(buckets))],
    }
    return {
        "new_cases": new_cases,
        "by_severity": by_severity,
        "by_plan": by_plan,
        "backlog": backlog,
        "breaching_soon": aggregates["breaching_soon"],
        "overdue": aggregates["overdue"],
        "next_reply_soon": aggregates["next_reply_soon"],
        "next_reply_overdue": aggregates["next_reply_overdue"],
        "open_total": aggregates["open_total"],
        "unassigned": aggregates["unassigned"],
    }


@dataclass(frozen=True)
class Viewer:
    name: str
    typing: bool


def case_viewers(case: Case, *, excluding: User, now: datetime | None = None) -> list[Viewer]:
    """The other engineers who have `case` open now, and whether each is typing (one query)."""
    now = now or timezone.now()
    rows = (
        CaseViewer.objects.filter(case=case, seen_at__gte=now - VIEWING_WINDOW)
        .exclude(engineer=excluding)
        .select_related("engineer")
        .order_by("engineer__login")
    )
    return [
        Viewer(
            name=row.engineer.display_name or row.engineer.email,
            typing=row.typing_at is not None and row.typing_at >= now - TYPING_WINDOW,
        )
        for row in rows
    ]
