"""core.bulk: rows written by `insert_rows` read back as the ORM would have written them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.principals import SYSTEM
from audit import services as audit
from audit.models import AuditEvent
from cases.models import (
    Case,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    Communication,
    CommunicationOrigin,
)
from core.bulk import among, from_values, insert_instance, insert_row, insert_rows
from notifications.models import InboxItem, Notification
from tests import factories

MOMENT = datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=UTC)


def test_inserted_rows_read_back_as_the_orm_writes_them(business_account, root) -> None:
    case = factories.make_case(business_account, root)
    ids = [uuid.uuid4(), uuid.uuid4()]
    with time_machine.travel(MOMENT, tick=False), CaptureQueriesContext(connection) as queries:
        insert_rows(
            Notification,
            [
                {
                    "id": key,
                    "account_id": business_account.pk,
                    "topic": case.case_id,
                    "kind": "status",
                    "recipients": ["a@example.com", "b@example.com"],
                    "context": {"case": case.pk, "note": "ケース"},
                    "next_attempt_at": MOMENT,
                }
                for key in ids
            ],
        )
    assert len(queries) == 1
    rows = Notification.objects.filter(pk__in=ids)
    assert {row.pk for row in rows} == set(ids)
    for row in rows:
        assert row.recipients == ["a@example.com", "b@example.com"]
        assert row.context == {"case": case.pk, "note": "ケース"}
        assert row.next_attempt_at == MOMENT
        # Defaults as the ORM fills them: the status, counters, blank text, the timestamps.
        assert (row.status, row.attempts, row.subject, row.claimed_at) == ("pending", 0, "", None)
        assert row.created_at == row.updated_at == MOMENT


def test_choices_and_foreign_keys(business_account, root) -> None:
    case = factories.make_case(business_account, root)
    insert_rows(
        CaseEvent,
        [
            {
                "case_id": case.pk,
                "kind": CaseEventKind.STATUS_CHANGED,
                "actor_id": None,
                "actor_arn": "system",
                "from_status": CaseStatus.OPENED,
                "to_status": CaseStatus.RESOLVED,
            }
        ],
    )
    event = CaseEvent.objects.filter(case=case, kind="status-changed").get()
    assert (event.from_status, event.to_status, event.data) == ("opened", "resolved", {})
    with pytest.raises(ValueError, match="no fields"):
        insert_rows(CaseEvent, [{"case_id": case.pk, "colour": "red"}])


def test_record_many_writes_what_record_writes(business_account) -> None:
    parameters = {"caseId": "case-1", "status": "resolved"}
    response = {"initialCaseStatus": "opened", "finalCaseStatus": "resolved"}
    one = audit.record(
        actor=SYSTEM,
        event_name="ResolveCase",
        account=business_account,
        request_parameters=parameters,
        response_elements=response,
    )
    assert (
        audit.record_many(
            actor=SYSTEM,
            event_name="ResolveCase",
            entries=[(business_account, parameters, response)],
        )
        == 1
    )
    many = AuditEvent.objects.exclude(pk=one.pk).get(event_name="ResolveCase")
    different = {"id", "event_id", "event_time", "request_id"}
    for field in AuditEvent._meta.concrete_fields:
        if field.name not in different:
            assert getattr(many, field.name) == getattr(one, field.name), field.name
    assert many.event_id != one.event_id and many.request_id != one.request_id


def test_among_selects_the_ids(business_account, root) -> None:
    cases = [factories.make_case(business_account, root) for _ in range(3)]
    pks = [case.pk for case in cases]
    found = CaseEvent.objects.filter(case_id__in=among(pks[:2])).values_list("case_id", flat=True)
    assert sorted(set(found)) == sorted(pks[:2])
    # An empty batch is still a query (a job's query count does not depend on what it finds).
    with CaptureQueriesContext(connection) as queries:
        assert list(CaseEvent.objects.filter(case_id__in=among([]))) == []
    assert len(queries) == 1


def test_one_row_reads_back_as_the_orm_writes_it(business_account, root) -> None:
    case = factories.make_case(business_account, root)
    fields = {
        "case_id": case.pk,
        "kind": CaseEventKind.ASSIGNED,
        "actor_id": None,
        "actor_arn": "system",
        "data": {"assignee": "ー"},
    }
    with time_machine.travel(MOMENT, tick=False):
        with CaptureQueriesContext(connection) as queries:
            values = insert_row(CaseEvent, fields)
        orm = CaseEvent.objects.create(**fields)
    assert len(queries) == 1  # the key the database chose comes back with the INSERT
    written = CaseEvent.objects.get(pk=values["id"])
    returned = from_values(CaseEvent, values)
    assert not returned._state.adding and returned.pk == written.pk
    for field in CaseEvent._meta.concrete_fields:
        if field.name != "id":
            assert getattr(written, field.attname) == getattr(orm, field.attname), field.name
            assert getattr(returned, field.attname) == getattr(written, field.attname), field.name
    with pytest.raises(ValueError, match="no fields"):
        insert_row(CaseEvent, {"case_id": case.pk, "colour": "red"})


def test_an_instance_inserted_reads_back_as_save_writes_it(business_account, root) -> None:
    case = factories.make_case(business_account, root)
    with time_machine.travel(MOMENT, tick=False):
        built = [
            Communication(
                case=case,
                communication_id=f"comm-{n}",
                body="ケース",
                origin=CommunicationOrigin.SUPPORT,
                author=root.user,
                submitted_by=root.user.email,
            )
            for n in range(2)
        ]
        with CaptureQueriesContext(connection) as queries:
            inserted = insert_instance(built[0])
        built[1].save(force_insert=True)
    assert len(queries) == 1
    assert inserted is built[0] and not inserted._state.adding and inserted.pk is not None
    written, saved = (Communication.objects.get(pk=c.pk) for c in built)
    for field in Communication._meta.concrete_fields:
        if field.name not in ("id", "communication_id"):
            assert getattr(written, field.attname) == getattr(saved, field.attname), field.name
            assert getattr(inserted, field.attname) == getattr(written, field.attname), field.name
    assert written.updated_at == MOMENT


def test_an_expression_is_read_by_the_insert(business_account, root) -> None:
    case = factories.make_case(business_account, root)
    subject = f"(SELECT {connection.ops.quote_name('subject')} FROM cases_case WHERE id = %s)"
    values = insert_row(
        CaseEvent,
        {"case_id": case.pk, "kind": CaseEventKind.ASSIGNED, "actor_arn": "system"},
        expressions={"reason": (subject, [case.pk])},
    )
    assert "reason" not in values
    assert CaseEvent.objects.get(pk=values["id"]).reason == case.subject


def test_rows_a_unique_constraint_refuses_are_skipped(business_account, root) -> None:
    def row(key: str) -> dict:
        return {"recipient_id": root.user.pk, "kind": "new-case", "topic": "t", "dedupe_key": key}

    insert_rows(InboxItem, [row("one")], ignore_conflicts=True)
    insert_rows(InboxItem, [row("one"), row("two")], ignore_conflicts=True)
    keys = InboxItem.objects.filter(recipient=root.user, topic="t").values_list(
        "dedupe_key", flat=True
    )
    assert sorted(keys) == ["one", "two"]


def test_an_unsaved_related_object_is_refused_as_save_refuses_it(business_account, root) -> None:
    case = factories.make_case(business_account, root)
    unsaved = Communication(
        case=Case(account=business_account, subject="never saved"),
        communication_id="comm-unsaved",
        body="text",
        origin=CommunicationOrigin.CUSTOMER,
        submitted_by="someone",
    )
    with pytest.raises(ValueError, match="unsaved related object"):
        insert_instance(unsaved)
    assert not Communication.objects.filter(case=case, communication_id="comm-unsaved").exists()
