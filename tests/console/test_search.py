"""The console's search: cases of every account by id, number, account, submitter, or words
in subjects and correspondence through the database's full-text engine (FTS5 on SQLite, text
search on PostgreSQL); and the customers' case list on the same index, within their account."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.postgres.search import SearchQuery
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import search as case_search
from cases import services
from cases.models import Case
from cases.services.maintenance import cases_auto_resolve, cases_purge
from tests import factories

URL = reverse("console:search")


@pytest.fixture
def engineer_client(client, engineer):
    client.force_login(engineer.user)
    return client


def _found(client, q: str, **params: str) -> list[str]:
    """The subjects listed for `q`, in the page's order."""
    response = client.get(URL, {"q": q, **params})
    assert response.status_code == 200
    rows = response.context["rows"]
    return [case.subject for case in rows]


def test_words_in_subjects_and_correspondence_ranked_subject_first(
    engineer_client, engineer, business_account, other_account, root
) -> None:
    in_body = factories.make_case(business_account, root, subject="Slow instance")
    services.case_add_communication(
        case=in_body, actor=root, body="We see throttling (ThrottlingException) on every call."
    )
    factories.make_case(
        other_account,
        factories.principal(factories.root_of(other_account)),
        subject="Throttling on DescribeInstances",
    )
    factories.make_case(business_account, root, subject="Billing question")
    # The subject's match ranks above the correspondence's; a word ending in a star matches as
    # a prefix; case and accents do not matter; every word must match.
    assert _found(engineer_client, "throttling") == [
        "Throttling on DescribeInstances",
        "Slow instance",
    ]
    assert _found(engineer_client, "THROTTL") == []
    assert _found(engineer_client, "THROTTL*") == [
        "Throttling on DescribeInstances",
        "Slow instance",
    ]
    both = _found(engineer_client, "throttling describeinst*")
    assert both == ["Throttling on DescribeInstances"]
    assert _found(engineer_client, "throttlingexc*") == ["Slow instance"]
    assert _found(engineer_client, "throttling nowhere") == []
    # A support reply is searchable too.
    services.case_support_reply(
        case=in_body, actor=engineer, body="Raise the café limit.", next_status="opened"
    )
    assert _found(engineer_client, "cafe") == ["Slow instance"]


def test_japanese_words_and_file_names(engineer_client, engineer, business_account, root) -> None:
    factories.make_case(
        business_account, root, subject="本番環境で障害が発生しました", language="ja"
    )
    factories.make_case(business_account, root, subject="障がい者向けの設定", language="ja")
    # Japanese has no spaces: a word is found inside a sentence, its characters side by side.
    assert _found(engineer_client, "障害") == ["本番環境で障害が発生しました"]
    assert _found(engineer_client, "環境") == ["本番環境で障害が発生しました"]
    assert _found(engineer_client, "境環") == []
    # A file's name is part of its message.
    case = factories.make_case(business_account, root, subject="Crash")
    engineer_client.post(
        reverse("console:case-action", args=[case.case_id, "reply"]),
        {
            "body": "See the trace.",
            "next_status": "pending-customer-action",
            "attachments": [SimpleUploadedFile("kernel-oops.txt", b"x", "text/plain")],
        },
    )
    assert _found(engineer_client, "kernel-oops.txt") == ["Crash"]
    assert _found(engineer_client, "kernel-oo*") == ["Crash"]
    assert _found(engineer_client, "k*") == []  # one letter is not a prefix


def test_identifiers_find_cases_directly(
    engineer_client, business_account, other_account, root
) -> None:
    first = factories.make_case(business_account, root, subject="First")
    second = factories.make_case(business_account, root, subject="Second")
    other = factories.make_case(
        other_account, factories.principal(factories.root_of(other_account)), subject="Other"
    )
    assert _found(engineer_client, first.case_id) == ["First"]
    assert _found(engineer_client, first.case_id.upper()) == ["First"]
    assert _found(engineer_client, str(other.display_id)) == ["Other"]
    # An account id lists the account's cases, newest first.
    assert _found(engineer_client, business_account.account_id) == ["Second", "First"]
    # The submitter's address, whatever its case.
    assert _found(engineer_client, second.submitted_by.upper()) == ["Second", "First"]
    assert _found(engineer_client, "nobody@example.com") == []


def test_state_filter_and_pages(engineer_client, business_account, root) -> None:
    cases = [factories.make_case(business_account, root, subject=f"Quota {i}") for i in range(27)]
    services.case_resolve(case=cases[0], actor=root)
    first = engineer_client.get(URL, {"q": "quota"})
    assert len(first.context["rows"]) == 25 and first.context["next_page"] == 2
    second = engineer_client.get(URL, {"q": "quota", "page": "2"})
    assert len(second.context["rows"]) == 2 and second.context["next_page"] is None
    assert 'rel="prev"' in second.content.decode()
    assert _found(engineer_client, "quota", state="resolved") == ["Quota 0"]
    # A page number out of range shows the first page, the query kept.
    beyond = engineer_client.get(URL, {"q": "quota", "page": "99"})
    assert len(beyond.context["rows"]) == 25 and 'value="quota"' in beyond.content.decode()
    assert len(_found(engineer_client, "quota 0", state="open")) == 0


@pytest.mark.parametrize("count", [3, 30])
def test_query_count_does_not_depend_on_matches(
    engineer_client, business_account, root, count
) -> None:
    for i in range(count):
        case = factories.make_case(business_account, root, subject=f"Disk full {i}")
        services.case_add_communication(case=case, actor=root, body="disk still full")
    # Session and user, then: identifiers, the page of cases with everything a row shows;
    # words, the ranked matches (on SQLite after one query that sizes them, each word's cases
    # counted up to RANK_COMMON; PostgreSQL's planner sizes them from the stored vectors'
    # statistics) and that page; with a state filter, the filter as well.
    counting = 0 if connection.vendor == "postgresql" else 1
    for params, expected in (
        ({"q": business_account.account_id}, 3),
        ({"q": "disk full"}, 4 + counting),
        ({"q": "disk full", "state": "open"}, 5 + counting),
    ):
        with CaptureQueriesContext(connection) as queries:
            response = engineer_client.get(URL, params)
        assert len(response.context["rows"]) == min(count, 25)
        assert len(queries) == expected, [query["sql"] for query in queries.captured_queries]


@pytest.mark.parametrize(
    "q",
    ['"', "'", "*", "a AND OR NOT", "NEAR(a b)", "x:*", "\\", "(((", "-", "^", "col:val", "🙂"],
)
def test_query_syntax_is_never_an_error(engineer_client, business_account, root, q) -> None:
    factories.make_case(business_account, root, subject="Plain words")
    assert engineer_client.get(URL, {"q": q}).status_code == 200


def test_internal_notes_are_not_searched(engineer_client, engineer, business_account, root) -> None:
    case = factories.make_case(business_account, root, subject="Latency")
    services.case_internal_note_add(case=case, actor=engineer, body="suspect flamingo deploy")
    assert _found(engineer_client, "flamingo") == []


def test_auto_resolve_notes_are_indexed_and_purged_cases_leave(
    engineer_client, engineer, business_account, root
) -> None:
    case = factories.make_case(business_account, root, subject="Waiting")
    services.case_support_reply(
        case=case, actor=engineer, body="Please send logs.", next_status="pending-customer-action"
    )
    assert _found(engineer_client, "automatically") == []
    later = timezone.now() + timedelta(days=8)
    with time_machine.travel(later, tick=False):
        assert cases_auto_resolve() == 1
        engineer_client.force_login(engineer.user)
        assert _found(engineer_client, "resolved automatically") == ["Waiting"]
    with time_machine.travel(later + timedelta(days=400), tick=False):
        assert cases_purge() == 1
        engineer_client.force_login(engineer.user)
        assert _found(engineer_client, "waiting") == []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM cases_search_fts")
            assert cursor.fetchone() == (0,)


def test_customers_search_only_their_account(client, business_account, other_account, root) -> None:
    factories.make_case(business_account, root, subject="Mine about walrus")
    factories.make_case(
        other_account,
        factories.principal(factories.root_of(other_account)),
        subject="Theirs about walrus",
    )
    client.force_login(factories.root_of(business_account))
    page = client.get(reverse("cases:list"), {"q": "walrus", "state": "all"}).content.decode()
    assert "Mine about walrus" in page and "Theirs about walrus" not in page
    # Customers have no console search.
    assert client.get(URL, {"q": "walrus"}).status_code == 403


def test_the_search_box_is_in_every_console_page(engineer_client) -> None:
    page = engineer_client.get(reverse("console:queue")).content.decode()
    assert f'action="{URL}"' in page and 'name="q"' in page


def test_cases_are_indexed_as_they_are_written(business_account, root) -> None:
    case = factories.make_case(business_account, root, subject="Indexed", body="first words")
    services.case_add_communication(case=case, actor=root, body="second words")
    row = Case.objects.values_list("search_text__subject", "search_text__body").get(pk=case.pk)
    assert row == ("indexed", "first words second words")


def test_the_engine_answers_from_its_full_text_index(db) -> None:
    if connection.vendor == "postgresql":
        query = SearchQuery("'throttling' & 'error'", config="simple", search_type="raw")
        sql, params = case_search.postgres_matches(query).query.sql_with_params()
    else:
        # The query `matching` makes to collect the engine's matches.
        with CaptureQueriesContext(connection) as queries:
            case_search.matching(Case.objects.all(), "throttling error")
        sql, params = queries.captured_queries[0]["sql"], ()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # On an empty table the planner would rather scan; the index must be usable.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            expected = "case_search_document"
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            expected = "cases_search_fts VIRTUAL TABLE INDEX"
        plan = "\n".join(str(row) for row in cursor.fetchall())
    assert expected in plan, plan


def test_ranking_is_bounded_to_the_newest_matches(business_account, root) -> None:
    cases = [factories.make_case(business_account, root, subject=f"Echo {i}") for i in range(5)]
    best = factories.make_case(business_account, root, subject="Echo echo echo")
    # The best match first, then the others newest first; with a bound, only the newest ones.
    assert case_search.ranked("echo")[0] == best.pk
    assert case_search.ranked("echo", limit=3) == [best.pk, cases[4].pk, cases[3].pk]
    assert case_search.ranked("") == [] and case_search.ranked('"*') == []


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's bm25 only")
def test_words_in_too_many_cases_select_but_do_not_rank(
    business_account, root, monkeypatch
) -> None:
    plain = factories.make_case(business_account, root, subject="Delta delta report")
    echoed = factories.make_case(business_account, root, subject="Delta echo echo echo")
    newest = factories.make_case(business_account, root, subject="Delta echo")
    assert case_search.ranked("delta")[0] == plain.pk  # bm25: the most deltas for its length
    monkeypatch.setattr(case_search, "RANK_COMMON", 2)
    # "delta" is in three cases: newest first; with "echo" (two), ranked by "echo" alone.
    assert case_search.ranked("delta") == [newest.pk, echoed.pk, plain.pk]
    assert case_search.ranked("delta echo") == [echoed.pk, newest.pk]
    monkeypatch.setattr(case_search, "RANK_COMMON", 1)
    assert case_search.ranked("delta echo") == [newest.pk, echoed.pk]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's two plans")
def test_ranking_reads_the_same_matches_along_the_primary_key(business_account, root) -> None:
    for i in range(6):
        factories.make_case(business_account, root, subject=f"Foxtrot {'foxtrot ' * (i % 3)}{i}")
    factories.make_case(business_account, root, subject="Golf", body="foxtrots and foxtrot")
    expected = case_search.ranked("foxtrot")
    # A common word's newest matches are read walking the primary key backwards, each stored
    # vector tested, rather than collected from the GIN index: the same matches, the same order.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        walked = case_search.ranked("foxtrot")
        cursor.execute("SET LOCAL enable_bitmapscan = on")
    assert walked == expected
    assert len(expected) == 7
