"""The jobs over many cases, batch by batch: a run stopped halfway and run again handles every
case once and queues every email once; each batch costs the same number of queries whatever its
size; emails are composed by the sender, in each case's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.principals import SYSTEM
from audit.models import AuditEvent
from cases import lifecycle, services
from cases.effects import STATUS_EMAIL
from cases.lifecycle import Cause
from cases.models import (
    Attachment,
    AttachmentSet,
    Case,
    CaseEvent,
    CaseSearch,
    CaseStatus,
    Communication,
    InternalNote,
)
from cases.services.maintenance import cases_auto_resolve, cases_purge
from console.models import CaseViewer
from core import outbox
from core.errors import InvalidCaseTransition
from events.models import DeliveryPurpose, EventDelivery
from notifications.models import Notification
from notifications.services import notifications_drain, notifications_sweep
from tests import factories
from tests.events.conftest import add_email, make_rule


class Stopped(Exception):
    """Stands for the job's process dying in the middle of a batch."""


def _waiting(account, actor, engineer, count: int, **kwargs) -> list[Case]:  # type: ignore[no-untyped-def]
    cases = []
    for n in range(count):
        case = factories.make_case(account, actor, subject=f"Waiting {n}", **kwargs)
        services.case_support_reply(
            case=case, actor=engineer, body="Logs?", next_status="pending-customer-action"
        )
        cases.append(case)
    return cases


def _stop_after(monkeypatch: pytest.MonkeyPatch, batches: int) -> None:
    """Make the batch after `batches` committed ones fail after its cases moved."""
    real = lifecycle.transition_many
    calls = []

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        moved = real(*args, **kwargs)
        calls.append(moved)
        if len(calls) > batches:
            raise Stopped()
        return moved

    monkeypatch.setattr(lifecycle, "transition_many", failing)


def test_an_interrupted_auto_resolve_run_again_handles_every_case_once(
    business_account, other_account, root, engineer, monkeypatch
) -> None:
    add_email(make_rule(business_account, name="all-case-events"))
    other_root = factories.principal(factories.root_of(other_account))
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        cases = _waiting(business_account, root, engineer, 4)
        cases += _waiting(other_account, other_root, engineer, 3, language="ja")
    before = Notification.objects.count()
    with time_machine.travel(start + timedelta(days=7), tick=False):
        _stop_after(monkeypatch, batches=2)
        with pytest.raises(Stopped):
            cases_auto_resolve(batch_size=2)
        # Two batches committed; the third rolled back whole.
        assert Case.objects.filter(status=CaseStatus.RESOLVED).count() == 4
        assert Notification.objects.count() == before + 4
        monkeypatch.undo()
        assert cases_auto_resolve(batch_size=2) == 3
        assert cases_auto_resolve(batch_size=2) == 0
    pks = [case.pk for case in cases]
    assert set(Case.objects.filter(pk__in=pks).values_list("status", flat=True)) == {"resolved"}
    for case in cases:
        events = CaseEvent.objects.filter(case=case, reason="auto-resolve")
        assert list(events.values_list("from_status", "to_status")) == [
            ("pending-customer-action", "resolved")
        ]
        notes = Communication.objects.filter(case=case, submitted_by="Amazon Web Services")
        assert notes.count() == 1
        assert Notification.objects.filter(topic=case.case_id, kind="status").count() == 1
        audited = AuditEvent.objects.filter(
            event_name="ResolveCase", request_parameters__caseId=case.case_id
        )
        assert list(audited.values_list("request_parameters", "recipient_account_id")) == [
            (
                {"caseId": case.case_id, "status": "resolved", "reason": "auto-resolve"},
                case.account.account_id,
            )
        ]
    # The account's rule got one ResolveCase event per case of its own, none of the other's.
    resolved = [
        d.event["detail"]["case-id"]
        for d in EventDelivery.objects.filter(purpose=DeliveryPurpose.EVENT)
        if d.event["detail"]["event-name"] == "ResolveCase"
    ]
    assert sorted(resolved) == sorted(case.case_id for case in cases[:4])
    # Every email goes once, composed at sending, in its case's language.
    mail.outbox.clear()
    with time_machine.travel(start + timedelta(days=7, minutes=1), tick=False):
        notifications_sweep()
        notifications_sweep()
    status_mails = [m for m in mail.outbox if "automatically" in m.body or "自動" in m.body]
    assert len(status_mails) == 7
    english = next(m for m in status_mails if f"{cases[0].display_id}]" in m.subject)
    assert english.subject == f"[Case {cases[0].display_id}] Waiting 0 — Resolved"
    assert "resolved automatically" in english.body
    assert english.to == [root.user.email]
    japanese = next(m for m in status_mails if f"{cases[4].display_id}]" in m.subject)
    assert "Waiting 0" in japanese.subject and "Resolved" not in japanese.subject


def _job_cache_queries() -> int:
    """SQLite: the page cache's size read, enlarged for the job and restored (core.bulk)."""
    return 3 if connection.vendor == "sqlite" else 0


def _auto_resolve_queries(business_account, other_account, root, engineer, count: int) -> int:  # type: ignore[no-untyped-def]
    other_root = factories.principal(factories.root_of(other_account))
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _waiting(business_account, root, engineer, count)
        _waiting(other_account, other_root, engineer, count, language="ja")
    with time_machine.travel(start + timedelta(days=7), tick=False):
        with CaptureQueriesContext(connection) as queries:
            assert cases_auto_resolve(batch_size=100) == 2 * count
    return len(queries)


@pytest.mark.parametrize("count", [1, 6])
def test_an_auto_resolve_batch_costs_the_same_queries_whatever_its_size(
    business_account, other_account, root, engineer, count
) -> None:
    add_email(make_rule(business_account, name="all-case-events"))
    add_email(make_rule(other_account, name="all-case-events"))
    # One batch, then the empty claim that ends the run:
    # savepoint, claim, cases (with account and submitter), UPDATE, case events, audit
    # records, the accounts' alternate contacts and the catalog snapshot's check (who gets a
    # copy), emails, rules' targets, deliveries, communications, the search text (one UPDATE
    # per language), release; claim in a savepoint of its own.
    expected = 15 + 3 + _job_cache_queries()
    assert _auto_resolve_queries(business_account, other_account, root, engineer, count) == expected


def test_the_job_moves_only_what_a_job_may(business_account, root) -> None:
    case = factories.make_case(business_account, root)
    with pytest.raises(InvalidCaseTransition):  # a person's changes go one by one
        lifecycle.transition_many(
            [case.pk],
            from_status=CaseStatus.UNASSIGNED,
            to=CaseStatus.RESOLVED,
            actor=root,
            cause=Cause.ACTION,
        )
    with pytest.raises(InvalidCaseTransition):  # starts each case's own next-reply clock
        lifecycle.transition_many(
            [case.pk],
            from_status=CaseStatus.PENDING_CUSTOMER_ACTION,
            to=CaseStatus.OPENED,
            actor=SYSTEM,
            cause=Cause.AUTO_RESOLVE,
        )


def _old_resolved(account, actor, engineer, count: int) -> list[Case]:  # type: ignore[no-untyped-def]
    cases = []
    for n in range(count):
        case = factories.make_case(account, actor, subject=f"Old {n}")
        services.case_resolve(case=case, actor=actor)
        cases.append(case)
    return cases


def _purge_queries(count: int, business_account, root, engineer) -> int:  # type: ignore[no-untyped-def]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _old_resolved(business_account, root, engineer, count)
    with time_machine.travel(start + timedelta(days=400), tick=False):
        with CaptureQueriesContext(connection) as queries:
            assert cases_purge(batch_size=100) == count
    return len(queries)


@pytest.mark.parametrize("count", [1, 6])
def test_a_purge_batch_costs_the_same_queries_whatever_its_size(
    business_account, root, engineer, count
) -> None:
    # One batch, then the empty claim that ends the run: savepoint, claim, the messages' and
    # the notes' attachment sets, inbox items, notifications, one DELETE per relation of a case
    # (correspondence, events, notes, search text, console viewers, read marks), the references
    # of later cases related to them emptied, the cases, the audit record, release; then
    # savepoint, claim, the count of the cases kept for a legal hold, release.
    expected = 1 + 1 + 2 + 1 + 1 + 6 + 1 + 1 + 1 + 1 + 4 + _job_cache_queries()
    assert _purge_queries(count, business_account, root, engineer) == expected


def test_the_purge_takes_everything_that_hangs_off_a_case(
    business_account, root, engineer, django_capture_on_commit_callbacks
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        old, kept = _old_resolved(business_account, root, engineer, 2)
        note = services.case_internal_note_add_with_files(
            case=old,
            actor=engineer,
            body="Checked the host.",
            files=[services.NewAttachment("notes.txt", b"n")],
        )
        notes_set = note.attachment_set
        key = Attachment.objects.get(attachment_set=notes_set).storage_key
        CaseViewer.objects.create(case=old, engineer=engineer.user, seen_at=timezone.now())
    with time_machine.travel(start + timedelta(days=100), tick=False):
        Case.objects.filter(pk=kept.pk).update(created_at=timezone.now())
    with (
        time_machine.travel(start + timedelta(days=400), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert cases_purge() == 1
    assert not Case.objects.filter(pk=old.pk).exists()
    for model in (Communication, CaseEvent, InternalNote, CaseSearch, CaseViewer):
        assert not model.objects.filter(case_id=old.pk).exists()
    assert Communication.objects.filter(case_id=kept.pk).exists()
    assert CaseSearch.objects.filter(case_id=kept.pk).exists()
    assert not Notification.objects.filter(topic=old.case_id).exists()
    assert Notification.objects.filter(topic=kept.case_id).exists()
    # A note's files go with the case, as the correspondence's do.
    assert not AttachmentSet.objects.filter(pk=notes_set.pk).exists()
    assert not default_storage.exists(key)


def test_a_run_requests_one_drain_for_all_its_emails(
    business_account, root, engineer, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    published: list[str] = []

    def publish(task, calls) -> bool:  # type: ignore[no-untyped-def]
        published.extend(task.name for _ in calls)
        return True

    monkeypatch.setattr(outbox, "_publish", publish)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _waiting(business_account, root, engineer, 5)
    published.clear()
    later = start + timedelta(days=7)
    with time_machine.travel(later, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert cases_auto_resolve(batch_size=2) == 5
    # Three batches, one drain: the later batches find it requested and not yet started.
    assert published == ["notifications.tasks.notifications_drain_task"]
    queued = Notification.objects.filter(template=STATUS_EMAIL)
    assert queued.count() == 5
    # The drain sends them (with the cases' earlier emails), composing each first; run twice,
    # it sends nothing more.
    mail.outbox.clear()
    with time_machine.travel(later, tick=False):
        first = notifications_drain()
        assert notifications_drain() == 0
    assert len(mail.outbox) == first
    assert queued.filter(status="sent").count() == 5
    assert all(
        subject.endswith("— Resolved") for subject in queued.values_list("subject", flat=True)
    )


def test_the_purge_reads_its_batches_from_its_own_index(business_account, root, engineer) -> None:
    # A run that finds nothing to delete must not walk every resolved case (0.3 s a run at a
    # million before case_purge_due): its batch query is a range of that partial index.
    with CaptureQueriesContext(connection) as queries:
        cases_purge(batch_size=100)
    claim = next(q["sql"] for q in queries.captured_queries if "ORDER BY" in q["sql"])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A test table is small and its statistics are whatever the suite left: which plan
            # wins on cost is chance (CI once chose created_at's index and a sort). The claim
            # must be answerable in order from case_purge_due alone, so forbid the other ways.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("EXPLAIN " + claim)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + claim)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "case_purge_due" in plan, plan


def test_the_purge_finds_follow_ups_through_the_related_case_index(
    business_account, root, engineer
) -> None:
    # Nearly every case has no related case. With a full index on the column, SQLite's
    # statistics counted the NULLs as one value shared by every case and the purge's SET NULL
    # of its cases' follow-ups read the whole table (0.2 s a batch at a million); the partial
    # index's statistics see only the cases that have one.
    from core.bulk import among

    for _ in range(3):
        factories.make_case(business_account, root)
    follow_ups = Case.objects.filter(related_case__in=among([1, 2, 3])).order_by()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE cases_case")
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = on")
        else:
            cursor.execute("ANALYZE")
    plan = follow_ups.explain()
    assert "case_related" in plan, plan


def test_foreign_keys_served_by_a_composite_index_have_none_of_their_own(db) -> None:
    # Each index is one more write per case created, changed or purged.
    with connection.cursor() as cursor:
        for table, column in (
            ("cases_case", "account_id"),
            ("cases_case", "related_case_id"),
            ("cases_caseevent", "case_id"),
            ("cases_communication", "case_id"),
        ):
            constraints = connection.introspection.get_constraints(cursor, table)
            single = [
                name
                for name, info in constraints.items()
                if info["index"] and info["columns"] == [column] and not info["unique"]
            ]
            covering = [
                name
                for name, info in constraints.items()
                if info["index"] and (info["columns"] or [None])[0] == column
            ]
            assert single == (["case_related"] if column == "related_case_id" else []), table
            assert covering, (table, column)
