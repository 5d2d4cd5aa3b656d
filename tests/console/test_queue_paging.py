"""Keyset paging of the engineers' queue: every case once, in index order, both ways."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from cases.services import case_support_reply
from console.views import PAGE_SIZE
from core.paging import Cursor
from tests import factories

LINK = re.compile(r'<a href="(\?[^"]*)" rel="(prev|next)">')


@pytest.fixture
def engineer_client(client, engineer):
    client.force_login(engineer.user)
    return client


@pytest.fixture
def queue_of_60(business_account, root, engineer) -> list[int]:
    """60 open cases in batches of ten created at the same instant (equal deadlines and ages);
    27 answered, twenty of them at the same instant; some with no deadline at all, answered or
    not. Returns their display ids in the queue's order, worked out here rather than by the code
    under test."""
    start = timezone.now() - timedelta(days=1)
    cases = []
    for batch in range(6):
        with time_machine.travel(start + timedelta(minutes=batch), tick=False):
            severity = "low" if batch % 2 else "normal"
            cases += [
                factories.make_case(
                    business_account, root, subject=f"b{batch} c{n}", severity_code=severity
                )
                for n in range(10)
            ]
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        for case in cases[::3]:
            case_support_reply(case=case, actor=engineer, body="On it.", next_status="opened")
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        for case in cases[1::9]:
            case_support_reply(case=case, actor=engineer, body="On it.", next_status="opened")
    # The model allows a case without a deadline; put some in both groups.
    Case.objects.filter(pk__in=[c.pk for c in cases[::7]]).update(first_response_due_at=None)

    # The order of the case_engineer_queue index: unanswered first; a missing deadline where the
    # database puts NULLs in an ascending index (last on PostgreSQL, first on SQLite).
    nulls_last = connection.features.nulls_order_largest
    never = datetime.min.replace(tzinfo=UTC)

    def key(case: Case) -> tuple:
        due = case.first_response_due_at
        return (
            case.first_responded_at is not None,
            case.first_responded_at or never,
            (due is None) if nulls_last else (due is not None),
            due or never,
            case.created_at,
            case.display_id,
        )

    stored = sorted(Case.objects.all(), key=key)
    answered = [c for c in stored if c.first_responded_at is not None]
    assert len(stored) == 60 and len(answered) == 27
    assert any(c.first_response_due_at is None for c in answered)
    assert any(c.first_response_due_at is None for c in stored if c not in answered)
    return [c.display_id for c in stored]


def _get(client, url: str, **params: str):
    response = client.get(url, params)
    assert response.status_code == 200
    ids = [case.display_id for case, _, _ in response.context["rows"]]
    links = {rel: html.unescape(href) for href, rel in LINK.findall(response.content.decode())}
    return ids, links


def _walk(client, url: str, rel: str, start: str = "") -> list[list[int]]:
    pages = []
    href = start
    while True:
        ids, links = _get(client, url + href)
        pages.append(ids)
        if rel not in links:
            return pages
        href = links[rel]


def _low(queue: list[int]) -> list[int]:
    """The low-severity cases of `queue`, in its order."""
    low = set(Case.objects.filter(severity__code="low").values_list("display_id", flat=True))
    return [i for i in queue if i in low]


def test_paging_visits_every_case_once_forwards_and_backwards(engineer_client, queue_of_60):
    url = reverse("console:queue")
    forwards = _walk(engineer_client, url, "next")
    assert [len(p) for p in forwards] == [PAGE_SIZE, PAGE_SIZE, 10]
    assert [i for page in forwards for i in page] == queue_of_60

    # From the last page back to the first, which has no "Previous" link.
    _, links = _get(engineer_client, url)
    _, links = _get(engineer_client, url + links["next"])
    last = links["next"]
    backwards = _walk(engineer_client, url, "prev", start=last)
    assert backwards == forwards[::-1]
    first_ids, first_links = _get(engineer_client, url)
    assert "prev" not in first_links and first_ids == queue_of_60[:PAGE_SIZE]


def test_paging_keeps_the_filters(engineer_client, queue_of_60):
    expected = _low(queue_of_60)
    assert len(expected) == 30
    url = reverse("console:queue")
    pages = _walk(engineer_client, url + "?severity=low&assignee=", "next")
    assert [i for page in pages for i in page] == expected
    _, links = _get(engineer_client, url, severity="low")
    params = parse_qs(urlsplit(links["next"]).query, keep_blank_values=True)
    assert params["severity"] == ["low"] and "page" not in params
    # The same link, answered as an htmx swap of the results.
    swap = engineer_client.get(url + links["next"], HTTP_HX_REQUEST="true")
    assert b"<html" not in swap.content and b'rel="prev"' in swap.content


def test_a_tampered_or_foreign_cursor_shows_the_first_page(engineer_client, queue_of_60):
    url = reverse("console:queue")
    _, links = _get(engineer_client, url)
    token = parse_qs(urlsplit(links["next"]).query)["cursor"][0]
    tampered = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    for cursor in (tampered, "not-a-token", ""):
        ids, links_after = _get(engineer_client, url, cursor=cursor)
        assert ids == queue_of_60[:PAGE_SIZE] and "prev" not in links_after
    # A valid cursor of another query (other filters, the real-time queue) is refused too.
    ids, _ = _get(engineer_client, url, cursor=token, severity="low")
    assert ids == _low(queue_of_60)[:PAGE_SIZE]
    ids, _ = _get(engineer_client, reverse("console:realtime"), cursor=token)
    assert ids == []  # no chat or phone cases: its first page is empty
    # Old offset links land on the first page.
    ids, _ = _get(engineer_client, url, page="2")
    assert ids == queue_of_60[:PAGE_SIZE]


def test_previous_past_cases_that_left_the_queue_shows_the_first_page(engineer_client, queue_of_60):
    url = reverse("console:queue")
    _, links = _get(engineer_client, url)
    second, links = _get(engineer_client, url + links["next"])
    # The first page's cases are resolved meanwhile: nothing comes before the second page now.
    Case.objects.filter(display_id__in=queue_of_60[:PAGE_SIZE]).update(status="resolved")
    ids, links = _get(engineer_client, url + links["prev"])
    assert ids == queue_of_60[PAGE_SIZE : 2 * PAGE_SIZE] == second and "prev" not in links


def test_first_and_later_pages_cost_the_same_queries(
    engineer_client, queue_of_60, django_assert_num_queries
):
    url = reverse("console:queue")
    # 1 session; 2 user; 3 engineers (assignee filter); 4 plans, 5 severities, 6 services
    # (filter choices); 7 the page: cases with account, plan, severity, service and assignee
    # (no count: "Previous"/"Next" come from reading one row more than a page).
    with django_assert_num_queries(7):
        first = engineer_client.get(url)
    _, links = _get(engineer_client, url)
    second = links["next"]
    _, links = _get(engineer_client, url + second)
    # The third page starts among the answered cases: the same seven, its page one seek after
    # the second page's last case.
    with django_assert_num_queries(7):
        third = engineer_client.get(url + links["next"])
    assert first.status_code == third.status_code == 200
    # The second page (cases 26 to 50) runs from the 33 unanswered cases into the answered ones:
    # 1-6 as above; 7 the unanswered cases after the cursor, by deadline; on PostgreSQL, 8 those
    # without a deadline, which come last there (first on SQLite, so before the cursor); then
    # the answered cases from the first (8 on SQLite, 9 on PostgreSQL).
    ranges = 3 if connection.features.nulls_order_largest else 2
    with django_assert_num_queries(6 + ranges):
        engineer_client.get(url + second)


@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_every_cursor_reads_the_rows_next_to_it(queue_of_60, limit):
    """From every case, both ways, for page sizes that end pages inside and at the edges of the
    ranges a cursor page is read from (equal keys, NULLs), the page is the next `limit` cases."""
    from console import selectors

    queryset = selectors.queue()
    by_id = {case.display_id: case for case in queryset}
    for position, display_id in enumerate(queue_of_60):
        key = tuple(getattr(by_id[display_id], k.field) for k in selectors.QUEUE_ORDER)
        page = selectors.queue_page(queryset, cursor=Cursor(key), limit=limit)
        following = queue_of_60[position + 1 : position + 1 + limit]
        if not following:  # past the last case: the first page
            following = queue_of_60[:limit]
        assert [c.display_id for c in page.items] == following
        assert (page.next_cursor is not None) == (queue_of_60[-1] not in following)

        page = selectors.queue_page(queryset, cursor=Cursor(key, backwards=True), limit=limit)
        preceding = queue_of_60[max(0, position - limit) : position]
        if len(preceding) < limit:  # short of a page before it: the first page
            preceding = queue_of_60[:limit]
        assert [c.display_id for c in page.items] == preceding
        assert (page.previous_cursor is not None) == (queue_of_60[0] not in preceding)


def test_a_bad_filter_value_drops_only_itself(engineer_client, queue_of_60):
    url = reverse("console:queue")
    ids, _ = _get(engineer_client, url, severity="low", status="no-such-status")
    assert ids == _low(queue_of_60)[:PAGE_SIZE]
    page = engineer_client.get(url, {"severity": "low", "status": "no-such-status"})
    assert re.search(r'id="id_status-errors">\s*<p class="error"', page.content.decode())
    swap = engineer_client.get(
        url, {"severity": "low", "status": "no-such-status"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert re.search(r'id="id_status-errors" hx-swap-oob="true">\s*<p class="error"', swap)
