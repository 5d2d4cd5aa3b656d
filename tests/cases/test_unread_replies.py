"""The case list marks the cases Support answered after the user last read them, per user, at
one query a page more and only for pages holding answered cases."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from cases import services, views
from cases.models import CaseStatus
from tests import factories

UNREAD_ROW = re.compile(r'<tr class="unread">\s*<td><a href="/support/cases/([^/]+)/">')


def _unread(client) -> list[str]:
    response = client.get(reverse("cases:list"))
    assert response.status_code == 200
    return UNREAD_ROW.findall(response.content.decode())


def _answer(case, engineer) -> None:
    services.case_support_reply(
        case=case,
        actor=factories.principal(engineer),
        body="We are looking into it.",
        next_status=CaseStatus.PENDING_CUSTOMER_ACTION,
    )


@pytest.fixture
def engineer(reference_data):
    return factories.make_engineer()


def test_an_answer_is_new_until_the_user_opens_the_case_and_again_at_the_next(
    client, business_account, root, engineer
) -> None:
    answered = factories.make_case(business_account, root, subject="Answered")
    factories.make_case(business_account, root, subject="Quiet")
    client.force_login(root.user)
    assert _unread(client) == []

    _answer(answered, engineer)
    assert _unread(client) == [answered.case_id]
    assert "New reply" in client.get(reverse("cases:list")).content.decode()

    assert client.get(reverse("cases:detail", args=[answered.case_id])).status_code == 200
    assert _unread(client) == []

    answered.refresh_from_db()
    _answer(answered, engineer)
    assert _unread(client) == [answered.case_id]


def test_read_marks_are_per_user(client, business_account, root, engineer) -> None:
    iam = factories.make_iam_user(business_account)
    case = factories.make_case(business_account, root)
    _answer(case, engineer)
    client.force_login(root.user)
    client.get(reverse("cases:detail", args=[case.case_id]))
    assert _unread(client) == []
    # The account's IAM user has not read it yet.
    client.force_login(iam)
    assert _unread(client) == [case.case_id]


def test_answers_from_before_a_user_existed_are_not_new_to_them(
    client, business_account, root, engineer
) -> None:
    case = factories.make_case(business_account, root)
    _answer(case, engineer)
    newcomer = factories.make_iam_user(business_account)
    client.force_login(newcomer)
    assert _unread(client) == []


def test_refreshing_the_conversation_marks_it_read(
    client, business_account, root, engineer
) -> None:
    case = factories.make_case(business_account, root)
    _answer(case, engineer)
    client.force_login(root.user)
    assert client.get(reverse("cases:messages", args=[case.case_id])).status_code == 200
    assert _unread(client) == []


def test_the_marks_cost_one_query_a_page_whatever_its_depth(
    client, business_account, root, engineer, monkeypatch, django_assert_num_queries
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    cases = [factories.make_case(business_account, root, subject=f"C{i}") for i in range(6)]
    for case in cases:
        _answer(case, engineer)
    client.force_login(root.user)
    client.get(reverse("cases:detail", args=[cases[-1].case_id]))
    # The list's five queries (see test_case_list) and the page's read marks.
    with django_assert_num_queries(6):
        first = client.get(reverse("cases:list")).content.decode()
    after = re.search(r'href="\?([^"]*cursor=[^"]+)" rel="next"', first)
    assert after
    with django_assert_num_queries(6):
        client.get(reverse("cases:list") + "?" + after.group(1).replace("&amp;", "&"))
    assert first.count('class="unread"') == 1  # the newest was read, the one after it not


def test_replying_to_an_answer_reads_it(client, business_account, root, engineer) -> None:
    case = factories.make_case(business_account, root)
    _answer(case, engineer)
    case.refresh_from_db()
    # A reply through the API or the page: the customer has read what they answer.
    services.case_add_communication(case=case, actor=root, body="Thanks, trying that now.")
    client.force_login(root.user)
    assert _unread(client) == []
