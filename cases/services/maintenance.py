"""Jobs over many cases: auto-resolve and purge. Set-based, in batches, safe to run twice and
safe with two workers (rows are claimed with SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL;
SQLite serialises writers)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from accounts.principals import SYSTEM
from audit import services as audit
from audit.names import AuditEventName
from cases import alerts, lifecycle, search
from cases.lifecycle import Cause
from cases.models import (
    Attachment,
    AttachmentSet,
    AttachmentUpload,
    Case,
    CaseStatus,
    Communication,
    CommunicationOrigin,
)
from core import ids
from notifications.services import notifications_discard

AUTO_RESOLVE_MESSAGE = gettext_noop(
    "We have not heard back from you for {days} days, so this case was resolved automatically. "
    "If you still need help, reply to reopen it."
)


def _auto_resolve_note(case: Case, days: int) -> str:
    """The note an auto-resolved case gets, as correspondence and in its email, in its language."""
    with translation.override(case.language or "en"):
        return gettext(AUTO_RESOLVE_MESSAGE).format(days=days)


def cases_auto_resolve(*, batch_size: int = 500, now: datetime | None = None) -> int:
    """Resolve cases pending customer action with no customer reply for the configured days.

    Each batch, in one transaction: claim the rows and move them through
    `lifecycle.transition_many` (which writes what each change causes: audit record, email with
    the explanatory note, event), then add the note as correspondence. Returns how many cases
    were resolved.
    """
    now = now or timezone.now()
    days = settings.SUPPORTCENTER_AUTO_RESOLVE_DAYS
    cutoff = now - timedelta(days=days)
    resolved = 0
    while True:
        with transaction.atomic():
            claimed = list(
                Case.objects.select_for_update(skip_locked=True)
                .filter(status=CaseStatus.PENDING_CUSTOMER_ACTION, status_changed_at__lt=cutoff)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not claimed:
                return resolved
            moved = lifecycle.transition_many(
                claimed,
                from_status=CaseStatus.PENDING_CUSTOMER_ACTION,
                to=CaseStatus.RESOLVED,
                actor=SYSTEM,
                cause=Cause.AUTO_RESOLVE,
                note=lambda case: _auto_resolve_note(case, days),
            )
            stamp = timezone.now()
            notes = {case.pk: _auto_resolve_note(case, days) for case in moved}
            Communication.objects.bulk_create(
                [
                    Communication(
                        case=case,
                        communication_id=ids.communication_id_new(),
                        body=notes[case.pk],
                        origin=CommunicationOrigin.SUPPORT,
                        submitted_by="Amazon Web Services",
                        created_at=stamp,
                    )
                    for case in moved
                ]
            )
            # One UPDATE per language's note, not per case.
            for note in set(notes.values()):
                search.index_append([pk for pk, text in notes.items() if text == note], note)
        resolved += len(moved)


def cases_sla_warn(*, batch_size: int = 500, now: datetime | None = None) -> int:
    """Warn engineers about replies about to be missed, once each: first responses (open,
    unanswered cases whose `first_response_warn_at`, the severity's share of the target, has
    come; marked with `sla_warned_at`) and next replies (cases with Support whose
    `next_reply_warn_at` has come; emptied, so each run of the clock warns once). Each batch
    claims its cases with a conditional UPDATE before it alerts, in one transaction, so two
    workers never warn about one case twice. Returns how many warnings went out."""
    now = now or timezone.now()
    return _first_response_warn(batch_size, now) + _next_reply_warn(batch_size, now)


def _first_response_warn(batch_size: int, now: datetime) -> int:
    warned = 0
    while True:
        with transaction.atomic():
            due = list(
                Case.objects.select_for_update(skip_locked=True)
                .filter(
                    first_responded_at__isnull=True,
                    sla_warned_at__isnull=True,
                    first_response_warn_at__lte=now,
                    status__in=list(lifecycle.OPEN_STATUSES),
                )
                .order_by("first_response_warn_at", "pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not due:
                return warned
            Case.objects.filter(pk__in=due, sla_warned_at__isnull=True).update(sla_warned_at=now)
            for case in _for_alerts(due):
                alerts.alert_sla(case)
        warned += len(due)


def _next_reply_warn(batch_size: int, now: datetime) -> int:
    warned = 0
    while True:
        with transaction.atomic():
            due = list(
                Case.objects.select_for_update(skip_locked=True)
                .filter(next_reply_warn_at__lte=now)
                .order_by("next_reply_warn_at", "pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not due:
                return warned
            Case.objects.filter(pk__in=due).update(next_reply_warn_at=None)
            for case in _for_alerts(due):
                alerts.alert_next_reply(case)
        warned += len(due)


def _for_alerts(pks: list[int]) -> QuerySet[Case]:
    return Case.objects.filter(pk__in=pks).select_related(
        "account", "account__plan", "severity", "service", "assignee"
    )


def cases_purge(*, batch_size: int = 1000, now: datetime | None = None) -> int:
    """Delete resolved cases older than the retention (12 months by default) with their
    correspondence, events, notes, notifications and attachment files, in batches. Open cases
    stay, however old. Each batch is recorded in the audit trail. Files are deleted after their
    rows are gone for good. Returns how many cases."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SUPPORTCENTER_CASE_RETENTION_DAYS)
    purged = 0
    while True:
        with transaction.atomic():
            rows = list(
                Case.objects.select_for_update(skip_locked=True)
                # A case still being worked on is kept, however old: only resolved history goes.
                .filter(created_at__lt=cutoff, status=CaseStatus.RESOLVED)
                .order_by("pk")
                .values_list("pk", "case_id")[:batch_size]
            )
            if not rows:
                return purged
            batch = [pk for pk, _case_id in rows]
            set_ids = list(
                Communication.objects.filter(
                    case_id__in=batch, attachment_set__isnull=False
                ).values_list("attachment_set_id", flat=True)
            )
            keys = list(
                Attachment.objects.filter(attachment_set_id__in=set_ids).values_list(
                    "storage_key", flat=True
                )
            )
            AttachmentUpload.objects.filter(attachment__attachment_set_id__in=set_ids).delete()
            notifications_discard(topics=[case_id for _pk, case_id in rows])
            Case.objects.filter(pk__in=batch).delete()
            AttachmentSet.objects.filter(pk__in=set_ids).delete()
            audit.record(
                actor=SYSTEM,
                event_name=AuditEventName.PURGE_CASES,
                account=None,
                request_parameters={"createdBefore": cutoff.isoformat(), "batchSize": batch_size},
                response_elements={"purgedCases": len(batch)},
            )
            # mypy cannot type a lambda's default; it binds this batch's keys.
            transaction.on_commit(lambda keys=keys: _delete_files(keys))  # type: ignore[misc]
        purged += len(batch)


def _delete_files(keys: list[str]) -> None:
    for key in keys:
        default_storage.delete(key)
