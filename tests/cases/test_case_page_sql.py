"""DescribeCases' composed statements (`cases.selectors`) are the ORM's: the page
(`_case_page_composed`) sends the statement `keyset_page` sends, with the same parameters, and
reads the same pages, for every combination of its filters; the attachments of a page of
communications and the check of a caseIdList's ids likewise. On SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from accounts.principals import Principal
from cases import access, case_page_sql, selectors
from cases.models import Case, CaseStatus
from core.paging import Cursor, keyset_page
from tests import factories


def _statements(call, *args, **kwargs) -> tuple[Any, list[tuple[str, list]]]:
    """What `call` returns, and each statement it sent with its parameters."""
    sent: list[tuple[str, list]] = []

    def record(execute, sql, params, many, context):
        sent.append((sql, list(params or [])))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        result = call(*args, **kwargs)
    return result, sent


def _loaded(case: Any) -> dict[str, object]:
    """Every value an instance holds, and how it was loaded."""
    values = {k: v for k, v in vars(case).items() if k != "_state"}
    return {**values, "_db": case._state.db, "_adding": case._state.adding}


def _orm_page(principal, filters, limit, cursor):
    """The page as before the composition: the ORM's queryset through `keyset_page`."""
    queryset = case_page_sql.case_queryset(access.cases_for_principal(principal), filters)
    return keyset_page(
        queryset, selectors.CASE_PAGE_ORDER, cursor=cursor, limit=limit, restart=False
    )


@pytest.fixture
def seeded(business_account, other_account):
    actor = factories.principal(factories.root_of(business_account))
    cases = [factories.make_case(business_account, actor, subject=f"c{i}") for i in range(14)]
    factories.make_case(other_account, subject="another account's")
    base = cases[0].created_at
    # Ties on created_at (broken by id), resolved cases and another language among them.
    for index, case in enumerate(cases):
        Case.objects.filter(pk=case.pk).update(
            created_at=base - timedelta(minutes=index // 3),
            status=CaseStatus.RESOLVED if index % 4 == 1 else case.status,
            language="ja" if index % 5 == 2 else "en",
        )
    # The stamp of another account's case equals ours: isolation is by account, not time.
    Case.objects.exclude(account=business_account).update(created_at=base)
    user = factories.make_iam_user(business_account)
    return Principal(user=user, via="api"), [Case.objects.get(pk=c.pk) for c in cases]


def _combinations(cases):
    base = cases[0].created_at
    ids = [cases[1].case_id, cases[3].case_id, cases[3].case_id, cases[7].case_id, "case-x"]
    for case_ids, display_id, after, before, resolved, language in itertools.product(
        [None, ids],
        [None, cases[4].display_id],
        [None, base - timedelta(minutes=3)],
        [None, base - timedelta(minutes=1)],
        [False, True],
        [None, "en"],
    ):
        yield case_page_sql.CaseFilters(case_ids, display_id, after, before, resolved, language)


@pytest.mark.django_db
def test_composed_page_sends_the_orms_statement_and_reads_the_same_pages(seeded) -> None:
    principal, cases = seeded
    assert access.cases_account(principal) is not None
    pages = 0
    for filters in _combinations(cases):
        for limit in (2, 10):
            cursor: Cursor | None = None
            while True:
                assert case_page_sql.composable(filters, cursor)
                composed, sent = _statements(
                    selectors.case_page_for_principal,
                    principal,
                    **vars(filters),
                    limit=limit,
                    cursor=cursor,
                )
                orm, expected = _statements(_orm_page, principal, filters, limit, cursor)
                assert sent == expected, filters
                assert [c.pk for c in composed.items] == [c.pk for c in orm.items]
                assert [_loaded(c) for c in composed.items] == [_loaded(c) for c in orm.items]
                assert composed.next_cursor == orm.next_cursor
                assert composed.previous_cursor == orm.previous_cursor
                pages += 1
                if composed.next_cursor is None:
                    break
                cursor = composed.next_cursor
    assert pages > 128


@pytest.mark.django_db
def test_what_the_composition_does_not_mirror_goes_through_the_orm(seeded) -> None:
    principal, cases = seeded
    backwards = Cursor((cases[5].created_at, cases[5].pk), backwards=True)
    for filters, cursor in [
        (case_page_sql.CaseFilters([], None, None, None, True, "en"), None),
        (case_page_sql.CaseFilters(None, 2**63, None, None, True, "en"), None),
        (case_page_sql.CaseFilters(None, -(2**63) - 1, None, None, True, "en"), None),
        (case_page_sql.CaseFilters(None, None, None, None, True, "en"), backwards),
    ]:
        assert not case_page_sql.composable(filters, cursor)
        composed, sent = _statements(
            selectors.case_page_for_principal, principal, **vars(filters), limit=3, cursor=cursor
        )
        orm, expected = _statements(_orm_page, principal, filters, 3, cursor)
        assert sent == expected
        assert [c.pk for c in composed.items] == [c.pk for c in orm.items]
        assert (composed.next_cursor, composed.previous_cursor) == (
            orm.next_cursor,
            orm.previous_cursor,
        )


@pytest.mark.django_db
def test_engineers_see_every_accounts_cases_through_the_orm(seeded, engineer) -> None:
    _principal, cases = seeded
    assert access.cases_account(engineer) is None
    page = selectors.case_page_for_principal(engineer, include_resolved=True, limit=50)
    assert {c.pk for c in cases} < {c.pk for c in page.items}
    assert {c.account_id for c in page.items} == {c.account_id for c in Case.objects.all()}


@pytest.mark.django_db
def test_attachments_are_read_by_the_orms_statement(business_account) -> None:
    from cases import services as case_services
    from cases.models import Attachment, Communication
    from cases.services import NewAttachment

    actor = factories.principal(factories.root_of(business_account))
    case = factories.make_case(business_account, actor)
    for index in range(3):
        attachment_set = case_services.attachment_set_add(
            account=business_account,
            attachments=[NewAttachment(f"{index}-{n}.txt", b"x") for n in range(index + 1)],
            actor=actor,
        )
        case_services.case_add_communication(
            case=case, actor=actor, body=f"reply {index}", attachment_set=attachment_set
        )
    communications = list(Communication.objects.filter(case=case))
    # Two communications of one set: the IN list holds it once, as the ORM's does.
    communications.append(communications[0])
    set_ids = [c.attachment_set_id for c in communications if c.attachment_set_id]
    assert len(set_ids) == 4

    def orm() -> list[Attachment]:
        return list(
            Attachment.objects.filter(attachment_set_id__in=set_ids).order_by("created_at", "id")
        )

    expected_rows, expected = _statements(orm)
    _none, sent = _statements(selectors._attach_attachments, communications)
    assert sent == expected
    loaded = [a for c in communications[:-1] for a in c.attachment_list]
    assert sorted(map(_loaded, loaded), key=lambda a: a["id"]) == sorted(
        map(_loaded, expected_rows), key=lambda a: a["id"]
    )
    for communication in communications:
        in_order = [
            a for a in expected_rows if a.attachment_set_id == communication.attachment_set_id
        ]
        assert [a.pk for a in communication.attachment_list] == [a.pk for a in in_order]


@pytest.mark.django_db
def test_known_case_ids_are_read_by_the_orms_statement(seeded, other_account) -> None:
    principal, cases = seeded
    theirs = Case.objects.get(account=other_account).case_id
    for case_ids in (
        [cases[0].case_id],
        [cases[1].case_id, cases[1].case_id, theirs, "case-x", cases[5].case_id],
        [theirs],
    ):
        known, sent = _statements(selectors.case_ids_known, principal, case_ids)
        expected_rows, expected = _statements(
            lambda ids: set(
                access.cases_for_principal(principal)
                .filter(case_id__in=ids)
                .values_list("case_id", flat=True)
            ),
            case_ids,
        )
        assert sent == expected
        assert known == expected_rows
        assert theirs not in known
