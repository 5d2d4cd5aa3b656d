"""The case list's "highest severity" order over the level copied beside each case, and the word
filter asking PostgreSQL's index for one account's matches (issue 14): the order and its paging,
the copy kept in step by every writer of a case's severity, and isolation between accounts."""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.principals import SYSTEM
from cases import search, services, views
from cases.models import Case, CaseSearch
from cases.selectors import case_list_for_principal
from catalog import services as catalog_services
from catalog.models import Severity
from core.paging import cursor_after, keyset_order, keyset_page
from tests import factories

NEXT = re.compile(r'href="\?([^"]*cursor=[^"]+)" rel="next"')
PREVIOUS = re.compile(r'href="\?([^"]*cursor=[^"]+)" rel="prev"')
SUBJECT = re.compile(r'<a href="/support/cases/case-[^"]+/">([^<]+)</a>')
POSTGRES = connection.vendor == "postgresql"
ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def root_client(client, business_account):
    client.force_login(factories.root_of(business_account))
    return client


def _page(client, query: str, link: re.Pattern[str] = NEXT) -> tuple[list[str], str | None]:
    body = client.get(reverse("cases:list") + "?" + query).content.decode()
    after = link.search(body)
    return SUBJECT.findall(body), html.unescape(after.group(1)) if after else None


def _drifted() -> list[int]:
    return list(Case.objects.exclude(severity_level=F("severity__level")).values_list("pk"))


def test_highest_severity_first_pages_by_level_then_newest(
    root_client, business_account, other_account, root, monkeypatch, django_assert_num_queries
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    codes = ["low", "urgent", "normal", "high", "low", "urgent", "normal", "high"]
    cases = [
        factories.make_case(business_account, root, subject=f"Case {i} {code}", severity_code=code)
        for i, code in enumerate(codes)
    ]
    factories.make_case(other_account, subject="Not mine", severity_code="urgent")
    services.case_resolve(case=cases[3], actor=root)  # the high one: resolved, listed last
    level = {s.code: s.level for s in Severity.objects.all()}
    expected = [
        c.subject
        for c in sorted(cases, key=lambda c: (-level[c.severity.code], -c.display_id))
        if c is not cases[3]
    ]
    pages, query = [], "sort=severity&state=all"
    # 1 session; 2 user with account and plan; 3 the plan's severities (filter choices);
    # 4 the page, with service; 5 the page's severities. A deeper page costs the same (the
    # last one, running from the open cases into the resolved one, reads both groups).
    for _ in range(3):
        with django_assert_num_queries(5):
            subjects, after = _page(root_client, query)
        pages.append(subjects)
        assert after is not None
        query = after
    subjects, after = _page(root_client, query)
    pages.append(subjects)
    assert after is None
    assert [s for page in pages for s in page] == [*expected, cases[3].subject]
    assert "Not mine" not in [s for page in pages for s in page]
    # Back by the Previous links (read backwards from the cursor), across the levels.
    back: list[list[str]] = []
    query_back = _page(root_client, query, PREVIOUS)[1]
    while query_back is not None:
        subjects, query_back = _page(root_client, query_back, PREVIOUS)
        back.insert(0, subjects)
    assert back == pages[:-1]


@pytest.mark.skipif(POSTGRES, reason="SQLite's plan; PostgreSQL's is the same row comparison")
def test_a_deep_page_by_severity_seeks_on_level_and_display_id(business_account, root) -> None:
    for code in ["low", "urgent", "normal", "high"] * 2:
        factories.make_case(business_account, root, severity_code=code)
    listed = case_list_for_principal(root, sort="severity", state="open")
    row = keyset_order(listed.queryset, listed.keys)[3]
    cursor = cursor_after(row, listed.keys)
    with CaptureQueriesContext(connection) as queries:
        page = keyset_page(listed.queryset, listed.keys, cursor=cursor, limit=2)
    captured = [q["sql"] for q in queries.captured_queries if "cases_case" in q["sql"]]
    assert [c.pk for c in page.items] == [
        c.pk for c in keyset_order(listed.queryset, listed.keys)[4:6]
    ]
    sql = captured[0]
    with connection.cursor() as cursor_db:
        cursor_db.execute("EXPLAIN QUERY PLAN " + sql.replace("%", "%%"))
        plan = "\n".join(str(r) for r in cursor_db.fetchall())
    assert "(severity_level,display_id)<(?,?)" in plan, plan


@pytest.mark.skipif(POSTGRES, reason="SQLite's planner, without statistics, as on a new install")
@pytest.mark.parametrize("state", ["open", "all"])
def test_highest_severity_first_reads_its_index(business_account, root, state) -> None:
    listed = case_list_for_principal(root, sort="severity", state=state)
    queryset = listed.queryset
    if listed.groups is not None:
        queryset = queryset.filter(listed.groups[0])
    sql, params = keyset_order(queryset, listed.keys)[:20].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = "\n".join(str(row) for row in cursor.fetchall())
    assert "USING INDEX case_account_level" in plan, plan
    assert "TEMP B-TREE" not in plan, plan  # read in order, not sorted


def test_the_level_follows_every_change_of_severity(
    business_account, root, engineer, django_capture_on_commit_callbacks
) -> None:
    case = factories.make_case(business_account, root, severity_code="low")
    assert case.severity_level == case.severity.level
    services.case_reclassify(
        case=case,
        actor=engineer,
        severity_code="urgent",
        service_code=case.service.code,
        category_code=case.category.code,
        reason="Production is down after all.",
    )
    case.refresh_from_db()
    assert (case.severity.code, case.severity_level) == ("urgent", case.severity.level)
    # An operator moves a level in the catalog: the cases follow in the same transaction,
    # without counting as updated for the customer's "recently updated".
    urgent = Severity.objects.get(code="urgent")
    updated_at = case.updated_at
    catalog_services.severity_save(severity=urgent, values={"level": 40}, actor=SYSTEM)
    case.refresh_from_db()
    assert case.severity_level == 40
    assert case.updated_at == updated_at
    assert _drifted() == []


def test_a_case_written_without_its_level_is_refused(business_account) -> None:
    # No default: a writer that forgets the level fails instead of ranking the case lowest.
    model = Case._meta.get_field("severity_level")
    assert not model.has_default() and not model.null
    made = factories.make_case(business_account)
    template = Case(
        account=business_account,
        case_id="case-111122223333-muen-2026-00000000000000aa",
        display_id=9_999_999,
        case_type="technical",
        service_id=made.service_id,
        category_id=made.category_id,
        severity=made.severity,
        subject="No level",
        submitted_by="someone@example.com",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        template.save()


# The apps that may import cases (.importlinter's layers at and above it), and the benchmarks.
CASE_WRITERS = tuple(
    f"{app}/"
    for app in ("cases", "advisor", "cloudtrail", "macros", "console", "awsapi", "demo", "ops")
) + ("bench/",)
# Calls that write a case's severity: Case(...), Case.objects.create/update..., a queryset's
# update(...), the benchmarks' row writer for cases.
_WRITES = {"create", "update", "get_or_create", "update_or_create", "bulk_update"}


def _writes_case_severity(node: ast.Call) -> bool:
    func = node.func
    if isinstance(func, ast.Name):
        if func.id == "Case":
            return True
        return (
            func.id == "Writer"
            and bool(node.args)
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id == "Case"
        )
    if isinstance(func, ast.Attribute) and func.attr in _WRITES:
        return "Case" in ast.unparse(func.value) or func.attr == "update"
    return False


def test_every_writer_of_a_case_severity_writes_its_level() -> None:
    """The copy cannot drift: in the code that may write cases (the apps at or above `cases`'
    layer and the benchmarks; migrations and tests aside) every call that writes a case's
    `severity` writes `severity_level` with it (`severity_fields`), and nothing assigns
    `.severity` on its own. The benchmarks' seeding scripts are strings: they are parsed
    too."""
    sources: list[tuple[str, str]] = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if not relative.startswith(CASE_WRITERS) or "/migrations/" in relative:
            continue
        text = path.read_text()
        sources.append((relative, text))
        if relative.startswith("bench/"):
            # The scripts bench runs in a subprocess, once formatted ({{ }} -> { }).
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    if "django.setup()" in node.value and "Case" in node.value:
                        script = node.value.replace("{{", "{").replace("}}", "}")
                        script = re.sub(r"\{(\w+)\}", "0", script)
                        sources.append((f"{relative} (script)", script))
    found = []
    for name, text in sources:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _writes_case_severity(node):
                keywords = {k.arg for k in node.keywords}
                if keywords & {"severity", "severity_id"} and "severity_level" not in keywords:
                    found.append(f"{name}:{node.lineno}")
            targets = []
            if isinstance(node, ast.Assign):
                targets = [t for t in node.targets for t in ast.walk(t)]
            if any(
                isinstance(t, ast.Attribute) and t.attr in ("severity", "severity_id")
                for t in targets
            ):
                found.append(f"{name}:{node.lineno}")
    assert found == []
    # And the seeding scripts were read (a rename would make the check above vacuous).
    assert any(name == "bench/lists.py (script)" for name, _ in sources)


# --- words in one account (PostgreSQL's stored vector holds the account) -------------------------

TEXTS = [
    ("Throttling errors on RunInstances", "We see throttling since Monday."),
    ("Billing question", "Our invoice shows an unexpected charge for throttled calls."),
    ("障害が発生しました", "インスタンスが応答しません。"),
    ("Instance i-0abc123 unreachable", "Status checks fail on i-0abc123."),
]
QUERIES = ["throttling", "throttl*", "障害", "i-0abc123", "unexpected charge", "nothing"]


@pytest.mark.parametrize("subjects_only", [False, True])
def test_words_in_one_account_agree_with_every_plan(
    business_account, other_account, root, monkeypatch, subjects_only
) -> None:
    for subject, body in TEXTS:
        factories.make_case(business_account, root, subject=subject, body=body)
        factories.make_case(other_account, subject=subject, body=body)
    factories.make_case(other_account, subject="Throttling elsewhere", body="throttling")
    mine = Case.objects.filter(account=business_account)

    def found(q: str, account_pk: int | None) -> set[int]:
        return set(
            search.matching(
                mine, q, subjects_only=subjects_only, account_pk=account_pk
            ).values_list("pk", flat=True)
        )

    scoped = {q: found(q, business_account.pk) for q in QUERIES}
    assert scoped == {q: found(q, None) for q in QUERIES}
    monkeypatch.setattr(search, "MATCH_SET_LIMIT", 0)
    monkeypatch.setattr(search, "MATCH_SET_LIMIT_POSTGRES", 0)
    monkeypatch.setattr(search, "MATCH_SET_LIMIT_POSTGRES_ACCOUNT", 0)
    assert scoped == {q: found(q, business_account.pk) for q in QUERIES}
    assert len(scoped["throttling"]) == 1
    assert len(scoped["throttl*"]) == (1 if subjects_only else 2)  # "throttled calls"
    assert all(pks <= set(mine.values_list("pk", flat=True)) for pks in scoped.values())


@pytest.mark.skipif(not POSTGRES, reason="PostgreSQL's stored vector")
def test_the_vector_holds_the_account_and_no_query_reaches_it(
    business_account, other_account, root
) -> None:
    mine = factories.make_case(business_account, root, subject="Disk full", body="No space left.")
    theirs = factories.make_case(other_account, subject="Disk full", body="No space left.")
    services.case_add_communication(case=mine, actor=root, body="Still full.")  # an update
    lexemes = dict(
        CaseSearch.objects.extra(select={"words": "tsvector_to_array(document)"}).values_list(
            "case_id", "words"
        )
    )
    assert search.account_lexeme(business_account.pk) in lexemes[mine.pk]
    assert search.account_lexeme(other_account.pk) in lexemes[theirs.pk]
    assert "still" in lexemes[mine.pk]
    # The engine, asked for one account, answers with that account's case only.
    pks = search._engine_matches(
        Case.objects.all(), search.parse("disk"), False, business_account.pk
    )
    assert pks == [mine.pk]
    # Users cannot write the lexeme: "#" is not part of a word, the pk alone is another word.
    everything = Case.objects.all()
    for q in (search.account_lexeme(business_account.pk), f"{business_account.pk}", "#*"):
        assert not search.matching(everything, q).exists()


def test_another_accounts_cases_never_match_in_the_list(
    root_client, business_account, other_account, root, monkeypatch
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    factories.make_case(business_account, root, subject="Quota exceeded here")
    for i in range(3):
        factories.make_case(other_account, subject=f"Quota exceeded there {i}")
    for limit in (None, 0):  # the engine's matches collected, then each case tested
        if limit is not None:
            monkeypatch.setattr(search, "MATCH_SET_LIMIT", limit)
            monkeypatch.setattr(search, "MATCH_SET_LIMIT_POSTGRES", limit)
            monkeypatch.setattr(search, "MATCH_SET_LIMIT_POSTGRES_ACCOUNT", limit)
        subjects, after = _page(root_client, "q=quota&state=all")
        assert (subjects, after) == (["Quota exceeded here"], None)
