"""Jobs over many cases: auto-resolve and purge. Set-based, in batches, safe to run twice and
safe with two workers (rows are claimed with SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL;
SQLite serialises writers)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from accounts.principals import SYSTEM
from audit import services as audit
from cases import lifecycle
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
from events.services import CaseEventName, case_event_publish
from notifications.services import notification_enqueue_case_update

AUTO_RESOLVE_MESSAGE = gettext_noop(
    "We have not heard back from you for {days} days, so this case was resolved automatically. "
    "If you still need help, reply to reopen it."
)


def cases_auto_resolve(*, batch_size: int = 500, now: datetime | None = None) -> int:
    """Resolve cases pending customer action with no customer reply for the configured days.

    Each batch: claim the rows, move them through `lifecycle.transition_many`, add the
    explanatory correspondence, queue the notifications and write the audit records, in one
    transaction. Returns how many cases were resolved.
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
                reason="auto-resolve",
            )
            cases = list(
                Case.objects.filter(pk__in=moved).select_related("account", "severity", "submitter")
            )
            stamp = timezone.now()
            bodies = {}
            for case in cases:
                with translation.override(case.language or "en"):
                    bodies[case.pk] = gettext(AUTO_RESOLVE_MESSAGE).format(days=days)
            Communication.objects.bulk_create(
                [
                    Communication(
                        case=case,
                        communication_id=ids.communication_id_new(),
                        body=bodies[case.pk],
                        origin=CommunicationOrigin.SUPPORT,
                        submitted_by="Amazon Web Services",
                        created_at=stamp,
                    )
                    for case in cases
                ]
            )
            for case in cases:
                notification_enqueue_case_update(
                    case=case, kind="status", body=bodies[case.pk], origin="support"
                )
                case_event_publish(case=case, event_name=CaseEventName.RESOLVE_CASE)
                audit.record(
                    actor=SYSTEM,
                    event_name="ResolveCase",
                    account=case.account,
                    request_parameters={"caseId": case.case_id, "reason": "auto-resolve"},
                    response_elements={
                        "initialCaseStatus": CaseStatus.PENDING_CUSTOMER_ACTION.value,
                        "finalCaseStatus": CaseStatus.RESOLVED.value,
                    },
                )
        resolved += len(moved)


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
            batch = list(
                Case.objects.select_for_update(skip_locked=True)
                # A case still being worked on is kept, however old: only resolved history goes.
                .filter(created_at__lt=cutoff, status=CaseStatus.RESOLVED)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not batch:
                return purged
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
            Case.objects.filter(pk__in=batch).delete()
            AttachmentSet.objects.filter(pk__in=set_ids).delete()
            audit.record(
                actor=SYSTEM,
                event_name="PurgeCases",
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
