"""The weekly Trusted Advisor email, as AWS sends it: per account, how many checks are red and
yellow and the estimated monthly savings, each against a week before, with a link to the
dashboard.

Recipients, as AWS chooses them: the account's own address (its contact email, or the root
user's when it has none) and its operations alternate contact. A person whose address is among
them can stop it for themselves (`weekly_report_preference_set`; the root user for the
account's own address). Each message is in its reader's language: the root user's own for the
account's address (and a user's own for an address that is theirs), else the account's.

The job (`advisor_weekly_reports_send`, Mondays after the weekly refresh) writes one
`WeeklyReport` per account and week, with the figures, in the same transaction as the emails it
queues; an account with a report for the week is skipped, so a second run, or two at once,
never emails twice. The sender composes each message (`weekly_report_render`, registered in
`AdvisorConfig.ready`) from the report's figures.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext

from accounts.models import Account, AlternateContact, AlternateContactType, User, UserKind
from accounts.principals import Principal
from advisor.models import WeeklyReport, WeeklyReportPreference
from advisor.services.availability import checks_available
from advisor.summaries import CATEGORY_LABELS, account_summaries
from notifications.services import Email, Queued, notifications_enqueue

KIND = "advisor_weekly"
TEMPLATE = "advisor.weekly_report"
BATCH_SIZE = 200
LANGUAGES = ("en", "ja")


def week_of(moment: datetime) -> date:
    """The Monday (UTC) of `moment`'s week: a report's week."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def weekly_report_preference_set(*, user: User, receives: bool) -> WeeklyReportPreference:
    """Whether `user` gets the weekly email from now on (at the addresses it would reach them
    at). A personal setting, like the engineers' email preferences: no audit record."""
    preference, _ = WeeklyReportPreference.objects.update_or_create(
        user=user, defaults={"receives": receives}
    )
    return preference


def weekly_report_receives(user: User) -> bool:
    """The user's own setting (on unless they turned it off)."""
    preference = WeeklyReportPreference.objects.filter(user=user).first()
    return preference is None or preference.receives


def _language(value: str, fallback: str) -> str:
    return value if value in LANGUAGES else (fallback if fallback in LANGUAGES else "en")


def weekly_report_recipients(accounts: Sequence[Account]) -> dict[int, list[tuple[str, str]]]:
    """Each account's recipients as (address, language), in two queries for them all: the
    root users and everyone who turned the email off, and the operations contacts."""
    ids = [account.pk for account in accounts]
    people = User.objects.filter(account_id__in=ids, is_active=True).filter(
        Q(kind=UserKind.ROOT) | Q(advisor_report_preference__receives=False)
    )
    roots: dict[int, User] = {}
    opted_out: dict[int, set[str]] = {pk: set() for pk in ids}
    users_by_address: dict[tuple[int, str], User] = {}
    for person in people.select_related("advisor_report_preference"):
        account_id = person.account_id
        assert account_id is not None  # filtered on the account
        if person.kind == UserKind.ROOT:
            roots[account_id] = person
        if person.email:
            users_by_address[(account_id, person.email.lower())] = person
        preference = getattr(person, "advisor_report_preference", None)
        if preference is not None and not preference.receives and person.email:
            opted_out[account_id].add(person.email.lower())
    operations = dict(
        AlternateContact.objects.filter(
            account_id__in=ids, contact_type=AlternateContactType.OPERATIONS
        ).values_list("account_id", "email")
    )
    result: dict[int, list[tuple[str, str]]] = {}
    for account in accounts:
        root = roots.get(account.pk)
        own = account.contact_email or (root.email if root is not None else "")
        candidates: list[tuple[str, User | None]] = []
        if own:
            # The account's own address is the root user's to stop.
            candidates.append((own, root))
        if operations.get(account.pk):
            candidates.append((operations[account.pk], None))
        seen: set[str] = set()
        chosen: list[tuple[str, str]] = []
        for address, owner in candidates:
            key = address.lower()
            owner = owner or users_by_address.get((account.pk, key))
            blocked = key in opted_out[account.pk] or (
                owner is not None and owner.email.lower() in opted_out[account.pk]
            )
            if key in seen or blocked:
                continue
            seen.add(key)
            user_language = owner.language if owner is not None else ""
            chosen.append((address, _language(user_language, account.language)))
        result[account.pk] = chosen
    return result


def advisor_weekly_reports_send(*, actor: Principal, now: datetime | None = None) -> int:
    """Queue this week's email for every active account with a connected AWS environment and
    at least one check result, unless it already has this week's report. Returns how many
    reports (accounts) it queued. Batches of BATCH_SIZE accounts, one transaction each; in a
    number of queries per batch that does not grow with it. Safe to run twice or at once: the
    (account, week) report is inserted once, and only the run that inserted it queues emails.
    `actor` is the SYSTEM principal (beat); nothing is audited (AWS's own mail)."""
    now = now or timezone.now()
    week = week_of(now)
    queued = 0
    last_pk = 0
    while True:
        batch = list(
            Account.objects.filter(pk__gt=last_pk, is_active=True, aws_connection__isnull=False)
            .exclude(advisor_weekly_reports__week=week)
            .select_related("plan")
            .order_by("pk")[:BATCH_SIZE]
        )
        if not batch:
            return queued
        last_pk = batch[-1].pk
        queued += _send_batch(batch, week=week, now=now)


@transaction.atomic
def _send_batch(accounts: list[Account], *, week: date, now: datetime) -> int:
    pairs = [(account, checks_available(account)) for account in accounts]
    current = account_summaries(pairs)
    before = account_summaries(pairs, as_of=now - timedelta(days=7))
    # Nothing has run yet: nothing to report (a later run this week may have something).
    reporting = [account for account in accounts if current[account.pk].computed]
    if not reporting:
        return 0
    run = uuid.uuid4()
    specs = dict(pairs)
    WeeklyReport.objects.bulk_create(
        [
            WeeklyReport(
                account=account,
                week=week,
                run=run,
                figures={
                    "week": week.isoformat(),
                    "now": current[account.pk].figures(),
                    "before": before[account.pk].figures() if before[account.pk].computed else None,
                    "cost_checks": any(s.category == "cost_optimizing" for s in specs[account]),
                },
            )
            for account in reporting
        ],
        # A concurrent run's row for the same week wins; this run then sends nothing for it.
        ignore_conflicts=True,
    )
    # Ours: the rows this run inserted (a concurrent run's rows carry its own `run`).
    mine = dict(WeeklyReport.objects.filter(week=week, run=run).values_list("account_id", "pk"))
    if not mine:
        return 0
    ours = [account for account in reporting if account.pk in mine]
    recipients = weekly_report_recipients(ours)
    messages = []
    for account in ours:
        by_language: dict[str, list[str]] = {}
        for address, language in recipients[account.pk]:
            by_language.setdefault(language, []).append(address)
        for language, addresses in by_language.items():
            messages.append(
                Queued(
                    recipients=addresses,
                    kind=KIND,
                    template=TEMPLATE,
                    context={"report": mine[account.pk], "language": language},
                    topic=f"advisor-weekly:{account.account_id}:{week.isoformat()}",
                    account=account,
                )
            )
    notifications_enqueue(messages)
    return len(ours)


# --- composing ----------------------------------------------------------------------------------


def _change(now: float, before: float | None, *, money: bool = False) -> str:
    """The change since last week in words, in the active language ("" when unknown)."""
    if before is None:
        return ""
    delta = round(now - before, 2)
    if not delta:
        return gettext("same as last week")
    amount = abs(delta)
    shown = f"${number_format(amount, 2, force_grouping=True)}" if money else str(int(amount))
    if delta > 0:
        return gettext("up %(amount)s from last week") % {"amount": shown}
    return gettext("down %(amount)s from last week") % {"amount": shown}


def _total(figures: dict[str, Any] | None, status: str) -> int | None:
    return figures["totals"][status] if figures else None


def _rows(figures: dict[str, Any]) -> list[dict[str, Any]]:
    now = figures["now"]
    rows = []
    for code in CATEGORY_LABELS:
        counts = now["categories"].get(code)
        if counts is None:
            continue
        rows.append(
            {
                "label": CATEGORY_LABELS[code],
                "error": counts["error"],
                "warning": counts["warning"],
                "ok": counts["ok"],
            }
        )
    return rows


def weekly_report_render(context: dict[str, Any]) -> Email | None:
    """The message for a queued weekly report, in `context["language"]`; None when the report
    (or its account) is gone."""
    report = (
        WeeklyReport.objects.select_related("account").filter(pk=int(context["report"])).first()
    )
    if report is None:
        return None
    figures = report.figures
    now, before = figures["now"], figures.get("before")
    base = settings.SITE_URL.rstrip("/")
    language = _language(context.get("language", ""), report.account.language)
    with translation.override(language):
        values = {
            "language": language,
            "account": report.account,
            "week": date.fromisoformat(figures["week"]),
            "error": now["totals"]["error"],
            "warning": now["totals"]["warning"],
            "ok": now["totals"]["ok"],
            "savings": now["savings"],
            "cost_checks": figures.get("cost_checks", True),
            "first": before is None,
            "error_change": _change(now["totals"]["error"], _total(before, "error")),
            "warning_change": _change(now["totals"]["warning"], _total(before, "warning")),
            "savings_change": _change(
                now["savings"], before["savings"] if before else None, money=True
            ),
            "categories": _rows(figures),
            "dashboard_url": base + reverse("advisor:dashboard"),
            "preferences_url": base + reverse("advisor:preferences"),
        }
        subject = render_to_string("advisor/email/weekly_report_subject.txt", values)
        text = render_to_string("advisor/email/weekly_report.txt", values)
        html = render_to_string("advisor/email/weekly_report.html", values)
    return Email(subject=subject, body_text=text, body_html=html)
