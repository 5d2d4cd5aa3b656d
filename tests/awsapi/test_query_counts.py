"""DescribeCases and DescribeCommunications cost a fixed number of queries per page."""

from __future__ import annotations

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
