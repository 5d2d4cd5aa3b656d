"""What a case change sends beyond the case's own tables, written in the change's transaction:

- the email to the case's contacts (the submitter, the CC list and the account's contact
  address), composed here in the case's language and queued in the notifications outbox;
- the "Support Case Update" event (source aws.support) that the account's event rules match.

Both are outboxes: a rolled-back change sends nothing, and the sending happens after commit.
Jobs that move thousands of cases at once queue their status emails uncomposed
(`case_status_emails_enqueue`): the sender composes each one (`case_status_email_render`) with
the same templates, so a job does not render them by the thousand.
Status changes reach these through `cases.lifecycle` only; creation and correspondence call them
from their services.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import AlternateContact, AlternateContactType, UserKind
from cases import sla
from cases.models import AttachmentSet, Case, CaseStatus, Communication, CommunicationOrigin
from catalog import cache as catalog_cache
from catalog.models import CaseType
from core import rawload
from events.kinds import (
    CASE_DETAIL_TYPE,
    CASE_SOURCE,
    SLA_DEADLINE,
    SLA_MET,
    SLA_SECONDS_TO_BREACH,
    CaseEventName,
)
from events.models import EVENTS_REGION
from events.services import EventTargets, event_publish, events_publish_many
from notifications.models import Notification
from notifications.services import Email, Queued, notification_enqueue, notifications_enqueue

# Communication origins as the case events spell them.
CASE_ORIGINS = {CommunicationOrigin.CUSTOMER: "CUSTOMER", CommunicationOrigin.SUPPORT: "AWS"}


# --- email -------------------------------------------------------------------------------------


def case_recipients(
    case: Case,
    *,
    alternates: Mapping[tuple[int, str], str] | None = None,
    security_services: frozenset[int] | None = None,
) -> list[str]:
    """The submitter, the CC list, the account's contact address and the alternate contact the
    case calls for, each once. A job passes the batch's `alternates` (`alternate_contacts_for`)
    and the catalog's `security_services`, so a case costs no query of its own; one case reads
    its own service (already loaded where a case is created or changed)."""
    if alternates is None:
        alternates = alternate_contacts_for([case])
    candidates: list[str] = []
    if case.submitter is not None and case.submitter.email:
        candidates.append(case.submitter.email)
    elif "@" in (case.submitted_by or ""):
        candidates.append(case.submitted_by)
    candidates += list(case.cc_email_addresses or [])
    if case.account.contact_email:
        candidates.append(case.account.contact_email)
    # The alternate contact the case's subject calls for: billing for account and billing
    # cases, security for a security service's, operations for the others.
    if case.case_type == CaseType.ACCOUNT_AND_BILLING:
        wanted = AlternateContactType.BILLING
    elif (
        case.service_id in security_services
        if security_services is not None
        else case.service.is_security
    ):
        wanted = AlternateContactType.SECURITY
    else:
        wanted = AlternateContactType.OPERATIONS
    contact = alternates.get((case.account_id, wanted))
    if contact:
        candidates.append(contact)
    elif not candidates:
        # An IAM user without an email address, on an account without a contact address: the
        # root user's address is the account's contact of last resort.
        root = case.account.users.filter(kind=UserKind.ROOT).exclude(email="").first()
        if root is not None:
            candidates.append(root.email)
    seen: set[str] = set()
    result = []
    for address in candidates:
        if address.lower() not in seen:
            seen.add(address.lower())
            result.append(address)
    return result


def alternate_contacts_for(cases: Iterable[Case]) -> dict[tuple[int, str], str]:
    """The alternate contacts' addresses of the cases' accounts, by (account, type): one
    statement, composed once (`core.rawload`: every case created reads it)."""
    accounts = sorted({case.account_id for case in cases})
    if not accounts:
        return {}
    sql = _alternates_sql().format(accounts=", ".join(["%s"] * len(accounts)))
    return {
        (account_id, kind): email for account_id, kind, email in rawload.fetch_all(sql, accounts)
    }


@functools.cache
def _alternates_sql() -> str:
    q = rawload.quote
    return (
        f"SELECT {q('account_id')}, {q('contact_type')}, {q('email')} "
        f"FROM {q(AlternateContact._meta.db_table)} WHERE {q('account_id')} IN ({{accounts}})"
    )


def case_url(case: Case) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("cases:detail", args=[case.case_id])


def _render(
    case: Case,
    kind: str,
    body: str,
    origin: str,
    files: list[tuple[str, str]],
    status: str | None = None,
) -> tuple[str, str, str]:
    # Everything in the case's language, the status label included: the language active where
    # the change happened (an engineer's Japanese console) is not the recipient's.
    with translation.override(case.language or "en"):
        context = {
            "case": case,
            "kind": kind,
            "body": body,
            "origin": origin,
            "url": case_url(case),
            "status": CaseStatus(status or case.status).label,
            # (file name, link): the links open the case's page after sign-in.
            "files": files,
        }
        subject = render_to_string("cases/email/case_update_subject.txt", context)
        text = render_to_string("cases/email/case_update.txt", context)
        html = render_to_string("cases/email/case_update.html", context)
    return subject, text, html


def case_email_enqueue(
    *,
    case: Case,
    kind: str,
    body: str = "",
    origin: str = "",
    attachment_set: AttachmentSet | None = None,
) -> Notification | None:
    """Queue the email about a case update; call it inside the change's transaction.

    `kind` is "created", "correspondence" or "status"; `body` is the text the update added, by
    `origin` ("customer" or "support"), with the files of `attachment_set` listed as links
    (never attached: the files stay behind the sign-in). Returns None when nobody is to be told.
    """
    recipients = case_recipients(case)
    if not recipients:
        return None
    subject, text, html = _render(case, kind, body, origin, _files(case, attachment_set))
    return notification_enqueue(
        recipients=recipients,
        subject=subject,
        body_text=text,
        body_html=html,
        kind=kind,
        topic=case.case_id,
        account=case.account,
    )


def _files(case: Case, attachment_set: AttachmentSet | None) -> list[tuple[str, str]]:
    """(file name, link) of the set's files: the links open the case's page after sign-in."""
    if attachment_set is None:
        return []
    base = settings.SITE_URL.rstrip("/")
    return [
        (a.file_name, base + reverse("cases:attachment", args=[case.case_id, a.attachment_id]))
        for a in attachment_set.attachments.order_by("created_at", "id")
    ]


# The renderer of a new case's email (registered in `CasesConfig.ready`).
CREATED_EMAIL = "cases.created"


def case_created_email_enqueue(*, case: Case, recipients: Sequence[str]) -> None:
    """Queue a new case's email to `recipients` (`case_recipients`, read before the creation's
    transaction), composed by the sender (`case_created_email_render`) from the case and its
    first message, so the creation's transaction renders no template. Call it inside that
    transaction."""
    notifications_enqueue(
        [
            Queued(
                recipients=recipients,
                kind="created",
                template=CREATED_EMAIL,
                context={"case": case.pk, "status": case.status},
                topic=case.case_id,
                account=case.account,
            )
        ]
    )


def case_created_email_render(context: dict[str, Any]) -> Email | None:
    """A new case's queued email (`case_created_email_enqueue`), as `case_email_enqueue` writes
    one: the case's first message and its files, the status it was created with; None once
    the case is gone."""
    case = Case.objects.select_related("severity").filter(pk=context["case"]).first()
    if case is None:
        return None
    first = (
        case.communications.select_related("attachment_set").order_by("created_at", "id").first()
    )
    body = first.body if first is not None else ""
    files = _files(case, first.attachment_set if first is not None else None)
    subject, text, html = _render(
        case, "created", body, "customer", files, status=context["status"]
    )
    return Email(subject=subject, body_text=text, body_html=html)


# The renderer status emails queued by jobs name (registered in `CasesConfig.ready`).
STATUS_EMAIL = "cases.status"


def case_status_emails_enqueue(cases: Sequence[Case], *, notes: dict[int, str]) -> None:
    """Queue the status email of each of `cases` (moved together by a job), with its note
    (`notes[case.pk]`, by Support), in one INSERT; the sender renders each when it first sends
    it (`case_status_email_render`), so the job does not render thousands of templates. The
    cases' account and submitter are loaded. Status and note are those of the change, whatever
    the case says by the time the message goes."""
    alternates = alternate_contacts_for(cases)
    security = catalog_cache.current().security_service_ids
    notifications_enqueue(
        [
            Queued(
                recipients=case_recipients(case, alternates=alternates, security_services=security),
                kind="status",
                template=STATUS_EMAIL,
                context={"case": case.pk, "status": case.status, "body": notes.get(case.pk, "")},
                topic=case.case_id,
                account=case.account,
            )
            for case in cases
        ]
    )


def case_status_email_render(context: dict[str, Any]) -> Email | None:
    """A queued status email (`case_status_emails_enqueue`), as `case_email_enqueue` would
    have written it; None once the case is gone."""
    case = Case.objects.select_related("severity").filter(pk=context["case"]).first()
    if case is None:
        return None
    body = context.get("body", "")
    subject, text, html = _render(
        case, "status", body, "support" if body else "", [], status=context["status"]
    )
    return Email(subject=subject, body_text=text, body_html=html)


# --- events ------------------------------------------------------------------------------------


def _communication_event_id(communication: Communication) -> str:
    """AWS's form, `ekko:us-east-1:<uuid>`, with our communication id written as a UUID."""
    raw = communication.communication_id
    try:
        shown = str(uuid.UUID(hex=raw))
    except ValueError:
        shown = raw
    return f"ekko:{EVENTS_REGION}:{shown}"


def _detail(
    case: Case, event_name: CaseEventName, communication: Communication | None, now: datetime
) -> dict[str, Any]:
    """AWS's five fields, then ours: the case's first-response SLA at the time of the event
    (`cases.sla.first_response_sla`), so a rule can match, say, cases that will breach within
    half an hour (`{"sla-seconds-to-breach": [{"numeric": [">", 0, "<=", 1800]}]}`). Null
    where a field does not apply."""
    first_response = sla.first_response_sla(case, now)
    deadline = first_response.deadline
    return {
        "case-id": case.case_id,
        "display-id": str(case.display_id),
        "communication-id": _communication_event_id(communication) if communication else "",
        "event-name": str(CaseEventName(event_name)),
        "origin": CASE_ORIGINS.get(CommunicationOrigin(communication.origin), "")
        if communication
        else "",
        SLA_DEADLINE: deadline.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if deadline else None,
        SLA_SECONDS_TO_BREACH: first_response.seconds_to_breach,
        SLA_MET: first_response.met,
    }


def case_event_publish(
    *,
    case: Case,
    event_name: CaseEventName,
    communication: Communication | None = None,
    targets: EventTargets | None = None,
) -> dict[str, Any]:
    """Publish a "Support Case Update" event for `case`; call it inside the change's transaction.

    `communication` is the correspondence the event reports (AddCommunicationToCase): it fills
    `communication-id` and `origin` (CUSTOMER or AWS); both are empty for the other events, as
    in AWS's samples. `targets` are the account's rules' targets if the change read them before
    its transaction (`events.services.event_targets_for`). See `events.services.event_publish`
    for the side effects.
    """
    return event_publish(
        account=case.account,
        source=CASE_SOURCE,
        detail_type=CASE_DETAIL_TYPE,
        detail=_detail(case, event_name, communication, timezone.now()),
        targets=targets,
    )


def case_events_publish(cases: Sequence[Case], *, event_name: CaseEventName) -> None:
    """`case_event_publish` for many cases at once (a job's batch; their accounts loaded): one
    query for the rules of all their accounts, one insert for the deliveries."""
    now = timezone.now()
    events_publish_many(
        source=CASE_SOURCE,
        detail_type=CASE_DETAIL_TYPE,
        events=[(case.account, _detail(case, event_name, None, now)) for case in cases],
    )
