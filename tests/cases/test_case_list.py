"""The customer's case list at scale: paging open then resolved cases as two groups, every
filter and search at a bounded number of queries, and the two plans of the word filter agreeing
with each other and with the full-text engine."""

from __future__ import annotations

import html
import re

import pytest
from django.db import connection
from django.urls import reverse

from cases import search, services, views
from cases.models import Case
from tests import factories

NEXT = re.compile(r'href="\?([^"]*cursor=[^"]+)" rel="next"')
PREVIOUS = re.compile(r'href="\?([^"]*cursor=[^"]+)" rel="prev"')
SUBJECT = re.compile(r'<a href="/support/cases/case-[^"]+/">([^<]+)</a>')
POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def root_client(client, business_account):
    client.force_login(factories.root_of(business_account))
    return client


@pytest.fixture
def open_and_resolved(business_account, root):
    """Five open and four resolved cases, named in the order the list shows them when both are
    listed: open ones newest first, then resolved ones newest first."""
    cases = [factories.make_case(business_account, root, subject=f"Case {i}") for i in range(9)]
    for case in cases[::2][:4]:  # cases 0, 2, 4 and 6 resolved
        services.case_resolve(case=case, actor=root)
    opened = [
        c for c in reversed(cases) if c.subject not in {"Case 0", "Case 2", "Case 4", "Case 6"}
    ]
    resolved = [c for c in reversed(cases) if c not in opened]
    return [c.subject for c in opened + resolved]


def _page(client, query: str) -> tuple[list[str], str | None, str | None]:
    body = client.get(reverse("cases:list") + "?" + query).content.decode()
    after, before = NEXT.search(body), PREVIOUS.search(body)
    return (
        SUBJECT.findall(body),
        html.unescape(after.group(1)) if after else None,
        html.unescape(before.group(1)) if before else None,
    )


def test_all_states_pages_open_cases_then_resolved_ones(
    root_client, open_and_resolved, monkeypatch
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    pages, query, links = [], "state=all", []
    while query is not None:
        subjects, query, previous = _page(root_client, query)
        pages.append(subjects)
        links.append(previous)
    assert [s for page in pages for s in page] == open_and_resolved
    # Page 3 runs from the last open case into the resolved ones; Previous goes back across it.
    assert pages[2] == open_and_resolved[4:6]
    back, query = [], links[-1]
    while query is not None:
        subjects, _next, query = _page(root_client, query)
        back.insert(0, subjects)
    assert back == pages[:-1]


@pytest.mark.parametrize(
    ("query", "count"),
    [
        # 1 session; 2 user with account and plan; 3 the plan's severities (filter choices);
        # 4 the page, with service; 5 the page's severities.
        ("", 5),
        ("state=resolved", 5),
        ("severity=low", 5),
        ("status=unassigned", 5),
        # Open cases fill the first page: one group read.
        ("state=all", 5),
        # Words: one query more for the engine's matches; on PostgreSQL one more before it, the
        # planner's estimate of their number.
        ("q=outage", 7 if POSTGRES else 6),
        ("q=outage&state=all&severity=low", 7 if POSTGRES else 6),
    ],
)
def test_every_filter_costs_a_fixed_number_of_queries(
    root_client, business_account, root, query, count, django_assert_num_queries, monkeypatch
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    cases = [factories.make_case(business_account, root, subject=f"Outage {i}") for i in range(12)]
    for case in cases[:4]:
        services.case_resolve(case=case, actor=root)
    with django_assert_num_queries(count):
        subjects, after, _ = _page(root_client, query)
    assert len(subjects) == 2 and after
    # A deeper page costs what the first does.
    with django_assert_num_queries(count):
        assert len(_page(root_client, after)[0]) == 2


def test_a_page_that_runs_into_the_resolved_cases_reads_both_groups(
    root_client, open_and_resolved, monkeypatch, django_assert_num_queries
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    _, after, _ = _page(root_client, "state=all")
    # Three queries, the page's open case and its severity, then the resolved ones and theirs.
    with django_assert_num_queries(7):
        subjects, _, _ = _page(root_client, after)
    assert subjects == open_and_resolved[4:8]


TEXTS = [
    ("Throttling errors on RunInstances", "We see throttling since Monday."),
    ("Billing question", "Our invoice shows an unexpected charge for throttled calls."),
    ("障害が発生しました", "インスタンスが応答しません。"),
    ("Café outage in São Paulo", "The élan of our service is gone."),
    ("Instance i-0abc123 unreachable", "Status checks fail on i-0abc123."),
    ("Error rate", "throttling error alarms fire; error budgets are spent"),
]
QUERIES = [
    "throttling",
    "throttl*",
    "thrott*",
    "throttling error",
    "error throttling",
    "障害",
    "応答",
    "cafe",
    "sao paulo",
    "i-0abc123",
    "charge",
    "unexpected charge",
    "nothing",
]


@pytest.mark.parametrize("subjects_only", [False, True])
def test_the_two_plans_of_the_word_filter_agree(
    business_account, other_account, root, monkeypatch, subjects_only
) -> None:
    for subject, body in TEXTS:
        factories.make_case(business_account, root, subject=subject, body=body)
        factories.make_case(other_account, subject=subject, body=body)
    mine = Case.objects.filter(account=business_account)

    def found(q: str) -> set[str]:
        return set(
            search.matching(mine, q, subjects_only=subjects_only).values_list("subject", flat=True)
        )

    collected = {q: found(q) for q in QUERIES}
    # Past the limit, each case's own text is tested instead of collecting the engine's matches.
    monkeypatch.setattr(search, "MATCH_SET_LIMIT", 0)
    monkeypatch.setattr(search, "MATCH_SET_LIMIT_POSTGRES", 0)
    monkeypatch.setattr(search, "MATCH_SET_LIMIT_POSTGRES_ACCOUNT", 0)
    walked = {q: found(q) for q in QUERIES}
    assert walked == collected
    assert collected["throttling"] == (
        {"Throttling errors on RunInstances"}
        if subjects_only
        else {"Throttling errors on RunInstances", "Error rate"}
    )
    assert collected["throttl*"] >= {"Throttling errors on RunInstances"}
    assert collected["障害"] == {"障害が発生しました"}
    assert collected["nothing"] == set()
    # Neither plan leaves the account.
    assert all(
        not Case.objects.filter(subject__in=subjects)
        .exclude(account=business_account)
        .filter(pk__in=mine.values("pk"))
        for subjects in walked.values()
    )


def test_the_walk_plan_keeps_to_the_account(
    root_client, business_account, other_account, root, monkeypatch
) -> None:
    monkeypatch.setattr(search, "MATCH_SET_LIMIT", 0)
    monkeypatch.setattr(search, "MATCH_SET_LIMIT_POSTGRES", 0)
    monkeypatch.setattr(search, "MATCH_SET_LIMIT_POSTGRES_ACCOUNT", 0)
    factories.make_case(business_account, root, subject="Zebra crossing")
    factories.make_case(other_account, subject="Zebra stripes")
    subjects, _, _ = _page(root_client, "q=zebra&state=all")
    assert subjects == ["Zebra crossing"]


@pytest.mark.skipif(POSTGRES, reason="SQLite's planner, without statistics, as on a new install")
@pytest.mark.parametrize(
    ("filters", "index"),
    [
        ({"severity": "low"}, "case_account_severity_created"),
        ({"state": "resolved"}, "case_account_status_created"),
        ({"status": "unassigned"}, "case_account_status_created"),
        ({}, "case_account_created"),
        ({"sort": "subject"}, "case_account_subject"),
        ({"sort": "updated"}, "case_account_updated"),
    ],
)
def test_each_filter_reads_its_index(business_account, root, filters, index) -> None:
    from cases.selectors import case_list_for_principal
    from core.paging import keyset_order

    listed = case_list_for_principal(root, **filters)
    sql, params = keyset_order(listed.queryset, listed.keys)[:20].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = "\n".join(str(row) for row in cursor.fetchall())
    assert f"USING INDEX {index}" in plan, plan


def test_the_engineers_queue_index_survives_the_migrations(db) -> None:
    # Made in raw SQL (cases/migrations/0002), so a SQLite table rebuild drops it (0009).
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "cases_case")
    assert "case_engineer_queue" in indexes


def test_a_chosen_status_is_listed_whatever_the_state_shown(
    root_client, business_account, root
) -> None:
    # The list shows open cases by default; choosing the status "Resolved" there must list the
    # resolved cases, not an empty list.
    done = factories.make_case(business_account, root, subject="Fixed already")
    services.case_resolve(case=done, actor=root)
    factories.make_case(business_account, root, subject="Still open")
    subjects, _, _ = _page(root_client, "state=open&status=resolved")
    assert subjects == ["Fixed already"]
    subjects, _, _ = _page(root_client, "status=unassigned&state=resolved")
    assert subjects == ["Still open"]
