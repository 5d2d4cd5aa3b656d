"""DescribeCases and DescribeCommunications cost a fixed number of queries per page, the
attachment operations a fixed number whatever the file (the catalog's are in
test_query_counts_catalog.py, Trusted Advisor's in test_trusted_advisor_ops.py)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services as case_services
from cases.services import NewAttachment
from tests import factories


def _seed(account, cases: int, replies: int) -> str:
    actor = factories.principal(factories.root_of(account))
    last = None
    for index in range(cases):
        attachment_set = case_services.attachment_set_add(
            account=account, attachments=[NewAttachment("log.txt", b"x")], actor=actor
        )
        last = factories.make_case(
            account, actor, subject=f"case {index}", attachment_set=attachment_set
        )
        for reply in range(replies):
            reply_set = case_services.attachment_set_add(
                account=account, attachments=[NewAttachment("trace.txt", b"y")], actor=actor
            )
            case_services.case_add_communication(
                case=last, actor=actor, body=f"reply {reply}", attachment_set=reply_set
            )
    return last.case_id


def _queries(call) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        call()
    return [q["sql"] for q in context.captured_queries]


@pytest.mark.parametrize("page_size", [10, 40])
def test_describe_cases_query_count_does_not_grow_with_page_size(
    support, api_user, page_size, django_assert_num_queries
) -> None:
    _seed(api_user.account, cases=40, replies=6)
    support.describe_cases(maxResults=10)  # warm: the key's last-used stamp is written once
    # 1 access key with user, account and plan; 2 the policies of the user and its groups;
    # 3 the page of cases; 4 the five newest communications of every case on the page (window
    # functions); 5 their attachments; 6 the catalog snapshot's check (service, category and
    # severity codes); 7 the audit record. A read opens no transaction (on SQLite it would take
    # the write lock).
    with django_assert_num_queries(7):
        result = support.describe_cases(maxResults=page_size)
    assert len(result["cases"]) == page_size
    assert all(len(c["recentCommunications"]["communications"]) == 5 for c in result["cases"])


@pytest.mark.parametrize("page_size", [10, 100])
def test_describe_communications_query_count(
    support, api_user, page_size, django_assert_num_queries
) -> None:
    case_id = _seed(api_user.account, cases=1, replies=120)
    support.describe_communications(caseId=case_id, maxResults=10)
    # 1 access key with user, account and plan; 2 policies (cached for the request, so the
    # loader's own check is free); 3 the case; 4 the page of communications; 5 their
    # attachments; 6 the audit record.
    with django_assert_num_queries(6):
        result = support.describe_communications(caseId=case_id, maxResults=page_size)
    assert len(result["communications"]) == page_size


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner")
def test_describe_cases_pages_without_sorting_the_account(api_user) -> None:
    """With planner statistics (the daily ANALYZE), the page is read in index order: no sort of
    every case of the account (a page cost grew with the account's cases before)."""
    from accounts.principals import Principal
    from cases import access, selectors
    from cases.models import CaseStatus
    from core.paging import keyset_order

    _seed(api_user.account, cases=60, replies=1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        # The statistics of a large install where one account holds most cases (the
        # benchmark's): the measured ones, scaled up from 60 cases to 100,000.
        cursor.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'cases_case'")
        for idx, stat in cursor.fetchall():
            counts = [int(n) for n in stat.split()]
            scaled = " ".join(str(n * 100_000 // counts[0] if n > 1 else n) for n in counts)
            cursor.execute(
                "UPDATE sqlite_stat1 SET stat = %s WHERE tbl = 'cases_case' AND idx IS %s",
                [scaled, idx],
            )
        cursor.execute("ANALYZE sqlite_schema")
    user = api_user.account.users.get(kind="iam")
    queryset = keyset_order(
        access.cases_for_principal(Principal(user=user, via="api")).exclude(
            status=CaseStatus.RESOLVED
        ),
        selectors.CASE_PAGE_ORDER,
    )[:11]
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " / ".join(row[-1] for row in cursor.fetchall())
    assert "TEMP B-TREE FOR ORDER BY" not in plan, plan


CASE = {
    "subject": "Counting statements",
    "serviceCode": "amazon-elastic-compute-cloud-linux",
    "categoryCode": "instance-issue",
    "severityCode": "normal",
    "communicationBody": "How many statements does a case cost?",
}


def _statement(sql: str) -> tuple[str, str]:
    """(verb, table) of one statement: ("SELECT", "cases_case"), ("SAVEPOINT", "")."""
    sql = re.sub(r"^\d+ times: ", "", sql)  # an executemany (SQLite's multi-row INSERT)
    verb = sql.split()[0].upper()
    pattern = r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?'
    outer = sql
    while re.search(r"\([^()]*\)", outer):  # subqueries and column lists left out
        outer = re.sub(r"\([^()]*\)", "", outer)
    # A statement of subqueries only (the catalog's check) is named by its first.
    table = re.search(pattern, outer) or re.search(pattern, sql)
    return verb, table.group(1) if table and verb != "SAVEPOINT" else ""


def test_create_case_reads_before_its_transaction_and_writes_once_per_table(
    support, api_user, engineer
) -> None:
    support.create_case(**CASE)  # warm: the key's last-used stamp is written once
    statements = [
        _statement(sql)
        for sql in _queries(lambda: support.create_case(**{**CASE, "subject": "Second"}))
    ]
    # Before the transaction: 1 access key with user, account and plan; 2 policies; 3 the
    # idempotency record (a retry?); 4 the catalog snapshot's check; 5 the account's alternate
    # contacts (the email's recipients); 6 the engineers, whether each covers the service, was
    # told already and wants the email; 7 the account's event rules' targets.
    reads = [
        ("SELECT", "accounts_accesskey"),
        ("SELECT", "accounts_policy"),
        ("SELECT", "awsapi_idempotencyrecord"),
        ("SELECT", "catalog_service"),
        ("SELECT", "accounts_alternatecontact"),
        ("SELECT", "accounts_user"),
        ("SELECT", "events_eventtarget"),
    ]
    # The transaction (here the test's savepoints; BEGIN IMMEDIATE on SQLite outside tests):
    # the display id, then one INSERT per table (no event rule matched: no deliveries; the
    # customers' email and the engineer's alert together), and the idempotency record with the
    # dispatcher's answer.
    writes = [
        ("UPDATE", "core_sequence"),
        ("INSERT", "cases_case"),
        ("INSERT", "cases_communication"),
        ("INSERT", "cases_casesearch"),
        ("INSERT", "cases_caseevent"),
        ("INSERT", "audit_auditevent"),
        ("INSERT", "notifications_inboxitem"),
        ("INSERT", "notifications_notification"),
        ("INSERT", "awsapi_idempotencyrecord"),
    ]
    assert [s for s in statements if s[0] not in ("SAVEPOINT", "RELEASE")] == reads + writes
    # Nothing but writes between the call's first savepoint and its last release.
    inside = statements[statements.index(("SAVEPOINT", "")) :]
    assert {verb for verb, _ in inside} == {"SAVEPOINT", "RELEASE", "INSERT", "UPDATE"}


EC2 = {
    "serviceCode": "amazon-elastic-compute-cloud-linux",
    "categoryCode": "instance-issue",
}


def test_attachment_operations_cost_a_fixed_number_of_queries(
    support, settings, django_assert_num_queries
) -> None:
    attachment_set = support.add_attachments_to_set(
        attachments=[{"fileName": "a.txt", "data": b"hello"}]
    )
    case_id = support.create_case(
        subject="s",
        communicationBody="b",
        serviceCode=EC2["serviceCode"],
        categoryCode=EC2["categoryCode"],
        severityCode="low",
        attachmentSetId=attachment_set["attachmentSetId"],
    )["caseId"]
    communication = support.describe_communications(caseId=case_id)["communications"][0]
    attachment_id = communication["attachmentSet"][0]["attachmentId"]
    support.describe_attachment(attachmentId=attachment_id)
    # 1 access key with user, account and plan; 2 policies; 3 the attachment, its account
    # checked in the same query; 4 the audit record.
    with django_assert_num_queries(4):
        assert support.describe_attachment(attachmentId=attachment_id)["attachment"]["data"]
    settings.SUPPORTCENTER_UPLOAD_PART_SIZE = 1024 * 1024
    upload_id = support.get_attachment_upload_links(
        fileName="dump.bin", fileSizeBytes=12 * 1024 * 1024
    )["uploadId"]
    support.describe_attachment_upload_status(uploadId=upload_id)
    # 1-2 key and policies; 3 the upload; 4 how many of its parts are complete (one COUNT,
    # not the parts themselves); 5 the audit record.
    with django_assert_num_queries(5):
        status = support.describe_attachment_upload_status(uploadId=upload_id)
    assert status["uploadProgress"]["totalParts"] == 12
