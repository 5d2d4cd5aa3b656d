"""Telling support engineers what needs them, in their console inbox and by email
(`notifications.inbox.inbox_notify`, each event once per engineer):

- a new case, to the engineers who cover its service (everyone, when nobody does);
- a customer's reply to, or reopening of, a case assigned to you;
- a case assigned to you (by someone else);
- a first response or a next reply about to be missed (the severity's share of the target
  gone), to the assignee, or to the covering engineers while nobody has the case.

Engineers choose which kinds they also get by email; a critical or urgent case's new-case and
SLA alerts are always emailed. Called inside the transaction of the change (and by the SLA job).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User, UserKind
from cases.models import Case
from core import rawload
from notifications.inbox import Audience, audience_of, inbox_notify
from notifications.models import InboxItem, InboxPreference
from notifications.services import Email, Queued

NEW_CASE = "new-case"
CUSTOMER_REPLY = "customer-reply"
ASSIGNED = "assigned"
SLA_WARNING = "sla-warning"
NEXT_REPLY_WARNING = "next-reply-warning"
KINDS = {
    NEW_CASE: _("A new case"),
    CUSTOMER_REPLY: _("A customer replied to or reopened your case"),
    ASSIGNED: _("A case was assigned to you"),
    SLA_WARNING: _("A first response is due soon"),
    NEXT_REPLY_WARNING: _("A next reply is due soon"),
}
# The kinds that are SLA warnings (emailed for critical and urgent cases whatever the
# preferences).
URGENT_KINDS = (NEW_CASE, SLA_WARNING, NEXT_REPLY_WARNING)
# Severities whose alerts go by email whatever the engineer's preferences (their levels).
ALWAYS_EMAILED_LEVELS = 4  # urgent (4) and critical (5)


def _engineers() -> QuerySet[User]:
    return User.objects.filter(kind=UserKind.ENGINEER, is_active=True).order_by("pk")


def covering_engineers(case: Case) -> list[User]:
    """The engineers who cover the case's service, or every engineer when nobody does."""
    engineers = list(
        _engineers().annotate(
            covers=Exists(
                User.services.through.objects.filter(
                    user_id=OuterRef("pk"), service_id=case.service_id
                )
            )
        )
    )
    covering: list[User] = [e for e in engineers if e.covers]
    return covering or list(engineers)


# The renderer of alerts the sender composes (registered in `CasesConfig.ready`).
ALERT_EMAIL = "cases.engineer_alert"


def _alert_email(case: Case, engineer: User, kind: str) -> Email:
    url = settings.SITE_URL.rstrip("/") + reverse("console:case", args=[case.case_id])
    context = {"case": case, "kind": kind, "url": url}
    # In the engineer's language and time zone, whoever's action caused the alert.
    with (
        translation.override(engineer.language or "en"),
        timezone.override(ZoneInfo(engineer.viewing_time_zone)),
    ):
        context["what"] = str(KINDS[kind])
        subject = render_to_string("cases/email/engineer_alert_subject.txt", context)
        text = render_to_string("cases/email/engineer_alert.txt", context)
        html = render_to_string("cases/email/engineer_alert.html", context)
    return Email(subject=subject, body_text=text, body_html=html)


def alert_email_render(context: dict[str, Any]) -> Email | None:
    """An alert queued for the sender to compose (`alert_new_case`), from the case as it is when
    the sender runs (moments after the commit, unless the sender is behind); None once the case
    is gone or the engineer is gone or deactivated."""
    case = (
        Case.objects.select_related("account__plan", "service", "severity")
        .filter(pk=context["case"])
        .first()
    )
    engineer = User.objects.filter(pk=context["engineer"], is_active=True).first()
    if case is None or engineer is None:
        return None
    return _alert_email(case, engineer, context["kind"])


def _notify(
    case: Case,
    recipients: Iterable[User],
    kind: str,
    dedupe_key: str,
    audience: Audience | None = None,
    composed_by_sender: bool = False,
) -> None:
    """Tell `recipients` (or the `audience` read before the change) about `case`. The emails are
    written here, or, `composed_by_sender`, queued for the sender to write (after commit, from
    the case as it is then: the change's transaction does not render them)."""

    def email(engineer: User) -> Email | Queued:
        if composed_by_sender:
            return Queued(
                recipients=[engineer.email],
                kind=kind,
                template=ALERT_EMAIL,
                context={"case": case.pk, "engineer": engineer.pk, "kind": kind},
                topic=case.case_id,
                account=case.account,
            )
        return _alert_email(case, engineer, kind)

    inbox_notify(
        recipients=recipients,
        kind=kind,
        topic=case.case_id,
        title=f"{case.display_id}: {case.subject}",
        url=reverse("console:case", args=[case.case_id]),
        dedupe_key=dedupe_key,
        email=email,
        always_email=_always_emailed(case, kind),
        account=case.account,
        audience=audience,
    )


def _always_emailed(case: Case, kind: str) -> bool:
    return kind in URGENT_KINDS and case.severity.level >= ALWAYS_EMAILED_LEVELS


def new_case_audience(case: Case) -> Audience:
    """Whom `alert_new_case` tells about `case` (the engineers covering its service, or all
    of them) and whom of them it emails, in one statement composed once (`core.rawload`): the
    engineers with whether each covers the service, was told about the case already, and the
    kinds it gets by email. A case's creation reads it before its transaction (nobody can be
    told about a case that is not written yet)."""
    dedupe_key = f"{NEW_CASE}:{case.case_id}"
    width = rawload.width(User)
    rows = rawload.fetch_all(
        _new_case_audience_sql(), [case.service_id, dedupe_key, UserKind.ENGINEER.value]
    )
    engineers = [
        (
            rawload.instance(User, row[:width]),
            bool(row[width]),
            bool(row[width + 1]),
            None
            if row[width + 2] is None
            else rawload.field_value(InboxPreference, "email_kinds", row[width + 2]),
        )
        for row in rows
    ]
    covering = [engineer for engineer in engineers if engineer[1]] or engineers
    return audience_of(
        [(user, told, wanted) for user, _, told, wanted in covering],
        kind=NEW_CASE,
        dedupe_key=dedupe_key,
        always_email=_always_emailed(case, NEW_CASE),
    )


@functools.cache
def _new_case_audience_sql() -> str:
    q = rawload.quote
    covers = User.services.field
    return (
        f"SELECT {rawload.columns(User, 'u')}, "
        f"EXISTS(SELECT 1 FROM {q(covers.m2m_db_table())} s "
        f"WHERE s.{q(covers.m2m_column_name())} = u.{q('id')} "
        f"AND s.{q(covers.m2m_reverse_name())} = %s), "
        f"EXISTS(SELECT 1 FROM {q(InboxItem._meta.db_table)} i "
        f"WHERE i.{q('recipient_id')} = u.{q('id')} AND i.{q('dedupe_key')} = %s), "
        f"p.{q('email_kinds')} "
        f"FROM {q(User._meta.db_table)} u "
        f"LEFT JOIN {q(InboxPreference._meta.db_table)} p ON p.{q('user_id')} = u.{q('id')} "
        f"WHERE u.{q('kind')} = %s AND u.{q('is_active')} ORDER BY u.{q('id')}"
    )


def alert_new_case(case: Case, *, audience: Audience | None = None) -> None:
    """Tell the covering engineers about a new case (`audience`: `new_case_audience`, read
    before the change's transaction, or here). Their emails are composed by the sender
    (`alert_email_render`), so the creation's transaction renders no template."""
    if audience is None:
        audience = new_case_audience(case)
    _notify(
        case,
        audience.inbox,
        NEW_CASE,
        audience.dedupe_key,
        audience=audience,
        composed_by_sender=True,
    )


def alert_customer_activity(case: Case, *, event: str) -> None:
    """A customer's reply or reopening (`event` names it uniquely, e.g. the communication id),
    for the engineer the case is assigned to."""
    if case.assignee is not None:
        _notify(case, [case.assignee], CUSTOMER_REPLY, f"{CUSTOMER_REPLY}:{event}")


def alert_assigned(case: Case, *, by: User | None, event: str) -> None:
    """The case was assigned to its assignee, by `by` (who is not told about their own act)."""
    if case.assignee is not None and case.assignee != by:
        _notify(case, [case.assignee], ASSIGNED, f"{ASSIGNED}:{event}")


def _owners(case: Case) -> list[User]:
    return [case.assignee] if case.assignee is not None else covering_engineers(case)


def alert_sla(case: Case) -> None:
    _notify(case, _owners(case), SLA_WARNING, f"{SLA_WARNING}:{case.case_id}")


def alert_next_reply(case: Case) -> None:
    """A next reply about to be missed; once per run of the clock (named by its start)."""
    started = case.next_reply_started_at.isoformat() if case.next_reply_started_at else ""
    _notify(
        case, _owners(case), NEXT_REPLY_WARNING, f"{NEXT_REPLY_WARNING}:{case.case_id}:{started}"
    )
