"""Jobs over many cases: auto-resolve and purge. Set-based, in batches, safe to run twice and
safe with two workers (rows are claimed with SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL;
SQLite serialises writers)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import ForeignObjectRel, Q, QuerySet
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
    InternalNote,
    Language,
)
from core import ids
from core.bulk import among, insert_rows, job_cache
from notifications.services import notifications_discard

logger = logging.getLogger(__name__)

AUTO_RESOLVE_MESSAGE = gettext_noop(
    "We have not heard back from you for {days} days, so this case was resolved automatically. "
    "If you still need help, reply to reopen it."
)


def _auto_resolve_notes(days: int) -> dict[str, str]:
    """The note an auto-resolved case gets, as correspondence and in its email, by language."""
    notes = {}
    for language in Language.values:
        with translation.override(language):
            notes[language] = gettext(AUTO_RESOLVE_MESSAGE).format(days=days)
    return notes


# Batch sizes: on SQLite a batch holds the one write lock while it runs, so other writers (the
# API, the console) wait that long; but each commit writes every index page its batch touched,
# and a million cases' indexes share few pages between small batches. Measured at a million
# cases (docs/benchmarks.md, "Jobs at a million cases"): auto-resolve of 50,000 took 31 s in
# batches of 500, 20 s in 2,000 (about 0.8 s a batch); purge of 170,000 took 41 s in batches
# of 2,000 and 25 s in 20,000 (about 3 s a batch, well inside writers' 20 s busy timeout).
AUTO_RESOLVE_BATCH = 2000
PURGE_BATCH = 20000


def cases_auto_resolve(*, batch_size: int = AUTO_RESOLVE_BATCH, now: datetime | None = None) -> int:
    """Resolve cases pending customer action with no customer reply for the configured days,
    except those on legal hold.

    Each batch, in one transaction, in a number of queries that does not grow with the batch:
    claim the rows, move them through `lifecycle.transition_many` (the conditional UPDATE, case
    events, audit records, the status emails with the explanatory note, events), then add the
    note as correspondence and to the search index. A batch commits whole or not at all, so a
    run that is stopped (even killed) and run again resolves every case once and queues every
    email once. Side effects: after each commit, one send task for the batch's emails and one
    delivery task per event delivery. Returns how many cases were resolved.
    """
    now = now or timezone.now()
    with job_cache():
        return _auto_resolve(batch_size, now)


def _auto_resolve(batch_size: int, now: datetime) -> int:
    days = settings.SUPPORTCENTER_AUTO_RESOLVE_DAYS
    cutoff = now - timedelta(days=days)
    notes = _auto_resolve_notes(days)
    resolved = 0
    # Keyset over the (status, status_changed_at) index: each batch starts where the last one
    # ended instead of walking past the cases it skipped (locked by another worker).
    after: tuple[datetime, int] | None = None
    while True:
        with transaction.atomic():
            waiting = Case.objects.filter(
                status=CaseStatus.PENDING_CUSTOMER_ACTION,
                status_changed_at__lt=cutoff,
                # A case on legal hold stays as it is until the hold is released.
                legal_hold_at__isnull=True,
            )
            if after is not None:
                moment, last = after
                waiting = waiting.filter(
                    Q(status_changed_at__gt=moment) | Q(status_changed_at=moment, pk__gt=last)
                )
            claimed = list(
                waiting.select_for_update(skip_locked=True)
                .order_by("status_changed_at", "pk")
                .values_list("pk", "status_changed_at")[:batch_size]
            )
            if not claimed:
                return resolved
            last_pk, last_changed = claimed[-1]
            assert last_changed is not None  # the filter compared it with the cut-off
            after = (last_changed, last_pk)
            moved = lifecycle.transition_many(
                [pk for pk, _changed in claimed],
                from_status=CaseStatus.PENDING_CUSTOMER_ACTION,
                to=CaseStatus.RESOLVED,
                actor=SYSTEM,
                cause=Cause.AUTO_RESOLVE,
                note=lambda case: notes[case.language or "en"],
            )
            stamp = timezone.now()
            insert_rows(
                Communication,
                [
                    {
                        "case_id": case.pk,
                        "communication_id": ids.communication_id_new(),
                        "body": notes[case.language or "en"],
                        "origin": CommunicationOrigin.SUPPORT,
                        "submitted_by": "Amazon Web Services",
                        "created_at": stamp,
                    }
                    for case in moved
                ],
            )
            # One UPDATE per language's note, not per case.
            for language, note in notes.items():
                search.index_append(
                    [case.pk for case in moved if (case.language or "en") == language], note
                )
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


def cases_purge(*, batch_size: int = PURGE_BATCH, now: datetime | None = None) -> int:
    """Delete resolved cases older than the retention (12 months by default) with their
    correspondence, events, notes, search text, notifications and attachment files, in batches.
    Open cases stay, however old, and so do cases on legal hold: a condition of the batches'
    query. One count at the end says how many were kept for a hold: logged, and when there are
    any, an audit record of its own (PurgeCases, keptOnLegalHold). Each batch, in one
    transaction and a number of queries that does not grow with the batch: set-based DELETEs
    by case id (`_delete_cases`), not Django's collector, which would load every row as a model
    instance first. The search index follows its rows (SQLite's FTS5 triggers fire per deleted
    row; PostgreSQL's GIN index is the table's). Each batch is recorded in the audit trail; its
    files are deleted after the commit, once the rows are gone for good. Safe to stop and run
    again. Returns how many cases."""
    now = now or timezone.now()
    with job_cache():
        return _purge(batch_size, now)


def _purge(batch_size: int, now: datetime) -> int:
    cutoff = now - timedelta(days=settings.SUPPORTCENTER_CASE_RETENTION_DAYS)
    purged = 0
    # Oldest first along case_purge_due, each batch from the last one's creation time on: its
    # cases are deleted, so reading that instant again finds only those another worker holds
    # (skipped) — no OR of a two-column keyset, which SQLite would read the index for whole.
    since = None
    while True:
        with transaction.atomic():
            # A case still being worked on is kept, however old: only resolved history goes,
            # and none on legal hold (the index's own condition).
            due = Case.objects.filter(
                created_at__lt=cutoff, status=CaseStatus.RESOLVED, legal_hold_at__isnull=True
            )
            if since is not None:
                due = due.filter(created_at__gte=since)
            rows = list(
                due.select_for_update(skip_locked=True)
                .order_by("created_at", "pk")
                .values_list("pk", "case_id", "created_at")[:batch_size]
            )
            if not rows:
                _report_held(cutoff, batch_size, purged)
                return purged
            batch = [pk for pk, _case_id, _created in rows]
            since = rows[-1][2]
            keys = _delete_cases(batch, topics=[case_id for _pk, case_id, _created in rows])
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


def _report_held(cutoff: datetime, batch_size: int, purged: int) -> None:
    """Say how many cases the run kept for a legal hold that it would have purged (one count,
    over the held cases' own index)."""
    held = Case.objects.filter(
        legal_hold_at__isnull=False, created_at__lt=cutoff, status=CaseStatus.RESOLVED
    ).count()
    logger.info("purge: %d cases deleted, %d kept on legal hold", purged, held)
    if held:
        audit.record(
            actor=SYSTEM,
            event_name=AuditEventName.PURGE_CASES,
            account=None,
            request_parameters={"createdBefore": cutoff.isoformat(), "batchSize": batch_size},
            response_elements={"purgedCases": 0, "keptOnLegalHold": held},
        )


def _delete_cases(pks: list[int], *, topics: list[str]) -> list[str]:
    """Delete the cases `pks` (whose case ids are `topics`) and everything that hangs off them,
    set-based; returns the storage keys of their files, to delete after the commit.

    The rows that point at a case are found from the model's relations (`_delete_rows`), so a
    relation added later, from any app, is deleted too. Attachment sets point the other way
    (correspondence and notes point at them) and go once the messages are gone."""
    set_ids = [
        *Communication.objects.filter(
            case_id__in=among(pks), attachment_set__isnull=False
        ).values_list("attachment_set_id", flat=True),
        *InternalNote.objects.filter(
            case_id__in=among(pks), attachment_set__isnull=False
        ).values_list("attachment_set_id", flat=True),
    ]
    keys: list[str] = []
    if set_ids:
        keys = list(
            Attachment.objects.filter(attachment_set_id__in=set_ids).values_list(
                "storage_key", flat=True
            )
        )
        AttachmentUpload.objects.filter(attachment__attachment_set_id__in=set_ids).delete()
    notifications_discard(topics=topics)
    _delete_rows(Case, pks)
    if set_ids:
        AttachmentSet.objects.filter(pk__in=set_ids).delete()
    return keys


def _delete_rows(model: type[models.Model], pks: list[int]) -> None:
    """DELETE `model`'s rows `pks` after what depends on them, by the relations' own rules:
    CASCADE deletes (through rows that have dependents of their own, by their keys), SET_NULL
    empties the reference, DO_NOTHING leaves it to the database; anything else (PROTECT) is
    left to Django's collector, which raises as it should. No signals are sent: the project
    has no domain signals (docs/STYLE.md, rule 18)."""
    for relation in _pointing_at(model):
        field = relation.field
        related = relation.related_model
        assert isinstance(related, type)
        pointing = related._base_manager.filter(**{f"{field.name}__in": among(pks)})
        if relation.on_delete is models.CASCADE:
            if _pointing_at(related):
                _delete_rows(related, list(pointing.values_list("pk", flat=True)))
            else:
                pointing._raw_delete(pointing.db)
        elif relation.on_delete is models.SET_NULL:
            pointing.update(**{field.name: None})
        elif relation.on_delete is not models.DO_NOTHING:
            model._base_manager.filter(pk__in=among(pks)).delete()
            return
    rows = model._base_manager.filter(pk__in=among(pks))
    rows._raw_delete(rows.db)


def _pointing_at(model: type[models.Model]) -> list[ForeignObjectRel]:
    """The relations Django's collector follows: every foreign key and one-to-one pointing at
    `model`, hidden ones (related_name="+") and many-to-many link tables included."""
    return [
        field
        for field in model._meta.get_fields(include_hidden=True)
        if isinstance(field, ForeignObjectRel) and (field.one_to_one or field.one_to_many)
    ]


def _delete_files(keys: list[str]) -> None:
    for key in keys:
        default_storage.delete(key)
