"""Full-text search over cases, in the database's own engine: SQLite's FTS5 on the embedded
default, PostgreSQL's text search on the production path.

Both engines index the same prepared text (`prepare`): lower-cased words of letters and
digits separated by single spaces, accents on Latin, Greek and Cyrillic letters dropped, and
each Chinese, Japanese or Korean character a word of its own, since those languages do not put
spaces between words. A query is prepared the same way, word by word: a word that prepares to
several tokens ("i-0abc", "障害") must match them side by side; a word ending in "*" matches as a
prefix ("throttl*" finds "throttling"; at least two characters before the star, since a shorter
prefix is most of the index). Every word must match. Subjects weigh more than correspondence in
the ranking.

The index is kept by the services that write cases and correspondence (`index_case`,
`index_append`); migration 0008 made the engines' structures and filled them for older cases,
0011 stores PostgreSQL's tsvector in a column, and 0016 has a trigger write it, with the case's
account as a lexeme (`account_lexeme`) for the customer's list.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connections
from django.db.models import BooleanField, F, OuterRef, QuerySet, Subquery, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat, Substr

from cases.models import Attachment, AttachmentSet, Case, CaseSearch
from core.bulk import insert_row

# PostgreSQL refuses a tsvector over 1 MB; correspondence past this many characters is not
# indexed (a case that long is found by its first 200,000 characters).
MAX_BODY = 200_000
MAX_WORDS = 12
MAX_TOKENS_PER_WORD = 16
MAX_QUERY_LENGTH = 500
# How many matches `ranked` orders (the console shows at most 40 pages of 25).
MAX_RANKED = 1000
# On SQLite, a word in more cases than this selects but does not rank (see `ranked`).
RANK_COMMON = 50_000
# Up to this many matches in all accounts, `matching` collects them; past it, it tests each case
# a list reads against its own text. Where the two plans cost the same at a million cases: on
# PostgreSQL collecting a match costs a heap read (GIN returns row addresses, not case ids),
# about 10 µs, and testing a walked case about 4 µs; on SQLite about 1 µs and 6 µs.
MATCH_SET_LIMIT = 10_000
MATCH_SET_LIMIT_POSTGRES = 3_000
# The same within one account (`matching`'s `account_pk`): collecting costs a heap read per
# match, and the walk tests about as many cases as the account's list holds per match found.
# Measured on the customer's list of 250,000 cases (docs/benchmarks.md): 1,300 matches cost
# about 20 ms either way; 1,900 collected 35 ms, walked 20 ms; 500 collected 10 ms, walked 60.
MATCH_SET_LIMIT_POSTGRES_ACCOUNT = 1_500
PREFIX_MIN = 2
# The shortest word `similar` looks for ("is", "to" and the like would match most cases).
SIMILAR_MIN = 3

# Hiragana, katakana, CJK ideographs (with extension A and compatibility), half-width katakana,
# Hangul syllables.
_CJK = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\uac00-\ud7af]"
)
_TOKEN = re.compile(r"[^\W_]+")
# Scripts whose accents are dropped; elsewhere (kana's voicing marks, Indic vowel signs) a
# combining mark is part of the letter.
_STRIP_MARKS_BELOW = 0x0530

SQLITE_TABLE = "cases_search_fts"
# bm25's column weights: subject, body.
_SQLITE_RANK = f"bm25({SQLITE_TABLE}, 4.0, 1.0)"


def prepare(text: str) -> str:
    """`text` as both engines index it (see the module's docstring)."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept: list[str] = []
    base = 0
    for char in decomposed:
        if unicodedata.combining(char):
            if base < _STRIP_MARKS_BELOW:
                continue
        else:
            base = ord(char)
        kept.append(char)
    folded = unicodedata.normalize("NFKC", "".join(kept)).lower()
    spaced = _CJK.sub(lambda m: f" {m.group(0)} ", folded)
    return " ".join(_TOKEN.findall(spaced))


Phrase = tuple[list[str], bool]  # a word's tokens, and whether its last one is a prefix


def parse(q: str) -> list[Phrase]:
    """The query's words, each as its prepared tokens and whether it ends in a prefix; words
    that prepare to nothing (only punctuation) are left out."""
    phrases = []
    for word in q[:MAX_QUERY_LENGTH].split()[:MAX_WORDS]:
        tokens = prepare(word).split()[:MAX_TOKENS_PER_WORD]
        if tokens:
            phrases.append((tokens, word.endswith("*") and len(tokens[-1]) >= PREFIX_MIN))
    return phrases


def _sqlite_query(
    phrases: list[Phrase], *, subjects_only: bool = False, any_word: bool = False
) -> str:
    # Tokens are letters and digits only, so quoting them needs no escaping.
    query = (" OR " if any_word else " AND ").join(
        '"' + " ".join(tokens) + '"' + ("*" if prefix else "") for tokens, prefix in phrases
    )
    # A column filter: the subject column alone.
    return f"subject : ({query})" if subjects_only else query


def _postgres_query(
    phrases: list[Phrase], *, subjects_only: bool = False, any_word: bool = False
) -> str:
    # Subjects are the vector's weight A (`_vector`): a label keeps a lexeme to them.
    label = "A" if subjects_only else ""
    parts = []
    for tokens, prefix in phrases:
        quoted = [f"'{token}'" + (f":{label}" if label else "") for token in tokens]
        if prefix:
            quoted[-1] = f"'{tokens[-1]}':*{label}"
        parts.append("(" + " <-> ".join(quoted) + ")")
    return (" | " if any_word else " & ").join(parts)


def _vendor(queryset: QuerySet[Case]) -> str:
    return connections[queryset.db].vendor


def _document() -> RawSQL:
    # The stored vector of migrations 0011 and 0016 (weights: subject A, correspondence B; the
    # account's lexeme without position or weight). Named in SQL, not a model field: SQLite
    # has no such column. Only in queries whose base table is cases_casesearch, which Django
    # leaves unaliased.
    return RawSQL(f'"{CaseSearch._meta.db_table}"."document"', [], output_field=SearchVectorField())


def account_lexeme(account_pk: int) -> str:
    """The lexeme PostgreSQL's stored vector holds for the case's account (migration 0016's
    trigger writes it): "#" and the account's pk. No text a user writes can match it, in a
    query or by a prefix: prepared text (`prepare`) is letters and digits only."""
    return f"#{int(account_pk)}"


def _postgres_in_account(text_query: str, account_pk: int) -> RawSQL:
    """The stored vector matches `text_query` (as `_postgres_query` writes it) and holds
    `account_pk`'s lexeme, as one condition the GIN index answers: it intersects the words'
    entries with the account's, so only the account's matches are read. The lexeme is cast
    rather than parsed (`to_tsquery` would drop its "#")."""
    return RawSQL(
        f"{_document().sql} @@ (to_tsquery('simple'::regconfig, %s) && %s::tsquery)",
        [text_query, f"'{account_lexeme(account_pk)}'"],
        output_field=BooleanField(),
    )


def postgres_matches(query: SearchQuery, *, using: str = "default") -> QuerySet[CaseSearch]:
    """The index rows matching `query` on PostgreSQL (migration 0011's stored vector and its
    GIN index, or a walk testing each row's vector: the planner chooses from the column's
    statistics)."""
    return (
        CaseSearch.objects.using(using).alias(search_vector=_document()).filter(search_vector=query)
    )


def _engine_matches(
    queryset: QuerySet[Case], phrases: list[Phrase], subjects_only: bool, account_pk: int | None
) -> Any:
    """The pks of every case matching in all accounts (on PostgreSQL, with `account_pk`, in
    that account only), from the engine, when there are at most MATCH_SET_LIMIT
    (MATCH_SET_LIMIT_POSTGRES); None when there are more (or PostgreSQL's planner expects far
    more)."""
    if _vendor(queryset) == "postgresql":
        text_query = _postgres_query(phrases, subjects_only=subjects_only)
        if account_pk is not None:
            found = CaseSearch.objects.using(queryset.db).filter(
                _postgres_in_account(text_query, account_pk)
            )
            # The estimate of a word in an account (the product of the two shares) is close:
            # no margin above the limit.
            limit, expected = MATCH_SET_LIMIT_POSTGRES_ACCOUNT, MATCH_SET_LIMIT_POSTGRES_ACCOUNT
        else:
            query = SearchQuery(text_query, config="simple", search_type="raw")
            found = postgres_matches(query, using=queryset.db)
            limit, expected = MATCH_SET_LIMIT_POSTGRES, 2 * MATCH_SET_LIMIT_POSTGRES
        matches = found.values_list("case_id", flat=True)
        # Collecting a common word's matches is a bitmap of most of the table: the planner's
        # estimate (from ANALYZE's statistics of the index's words) says so first.
        plan = json.loads(matches.explain(format="json"))
        if plan[0]["Plan"]["Plan Rows"] > expected:
            return None
        pks = list(matches[: limit + 1])
    else:
        limit = MATCH_SET_LIMIT
        with connections[queryset.db].cursor() as cursor:
            # FTS5 reads its doclists in rowid order and stops at the limit: a stop word's
            # first ten thousand matches cost a millisecond.
            cursor.execute(
                f"SELECT rowid FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s LIMIT %s",
                (_sqlite_query(phrases, subjects_only=subjects_only), limit + 1),
            )
            pks = [row[0] for row in cursor.fetchall()]
    return pks if len(pks) <= limit else None


def _texts_holding(
    texts: QuerySet[CaseSearch], phrases: list[Phrase], subjects_only: bool
) -> QuerySet[CaseSearch]:
    """`texts` narrowed to those the engine would match: each word's tokens side by side in the
    subject or the correspondence (a token prefix for a word ending in "*"). The prepared text
    is tokens separated by single spaces, so a LIKE on it padded with spaces finds exactly the
    engine's tokens; " | " between subject and correspondence keeps a phrase from spanning the
    two. A test of each row, for reading rows in an order the engine cannot give."""
    pad = Value(" ", output_field=TextField())
    parts: list[Any] = [pad, F("subject"), pad]
    if not subjects_only:
        parts += [Value("| ", output_field=TextField()), F("body"), pad]
    texts = texts.alias(padded=Concat(*parts))
    for tokens, prefix in phrases:
        texts = texts.filter(padded__contains=" " + " ".join(tokens) + ("" if prefix else " "))
    return texts


def _text_matches(phrases: list[Phrase], subjects_only: bool, vendor: str) -> Subquery | RawSQL:
    """A case's own indexed text when the engine would match it (NULL when not).

    A scalar subquery (one lookup by pk) rather than a join or EXISTS: the planner cannot turn
    it into a join that filters every case's text first, so it stays a test of each row the
    list walks in its index's order. On PostgreSQL the test reads the stored vector (in SQL:
    the column is not a model field, and Django aliases a subquery's tables)."""
    if vendor == "postgresql":
        table, cases = CaseSearch._meta.db_table, Case._meta.db_table
        return RawSQL(
            f'(SELECT s.case_id FROM "{table}" s WHERE s.case_id = "{cases}"."id"'
            " AND s.document @@ to_tsquery('simple'::regconfig, %s))",
            [_postgres_query(phrases, subjects_only=subjects_only)],
        )
    texts = CaseSearch.objects.filter(case_id=OuterRef("pk"))
    return Subquery(_texts_holding(texts, phrases, subjects_only).values("case_id")[:1])


def matching(
    queryset: QuerySet[Case],
    q: str,
    *,
    subjects_only: bool = False,
    account_pk: int | None = None,
) -> QuerySet[Case]:
    """`queryset` narrowed to the cases whose subject or correspondence matches `q` (every
    match, in the queryset's own order); with `subjects_only`, whose subject matches (for a
    reader who may not read correspondence: a match would tell what it says). An empty query
    matches nothing. `account_pk`: `queryset` holds that account's cases only (a customer's
    list); on PostgreSQL the engine then reads that account's matches only (its stored
    vectors hold the account as a lexeme, `account_lexeme`), so the figures below are the
    account's, not all accounts'.

    The work for a page does not grow with the number of matches, in one of two plans the
    engine's figures choose (one query on SQLite, two on PostgreSQL, made here):

    - at most MATCH_SET_LIMIT (on PostgreSQL MATCH_SET_LIMIT_POSTGRES) matches in all accounts:
      their pks, collected from the engine, as a set; the database walks the list's own index
      keeping the cases in the set, or looks the few matches up by pk, whichever its planner
      finds cheaper;
    - more: each case the list walks is tested against its own indexed text (`_text_matches`,
      one lookup by pk), so reading a page stops once the page is full. The words are in many
      cases, so in a large account the walk is short. On SQLite (and on PostgreSQL without
      `account_pk`) the figures are all accounts': in an account that has few of a common
      word's matches the walk is as long as the account's list (FTS5's index holds no
      account). Near the limit both plans cost most: about 30 ms on SQLite for a million
      cases (docs/benchmarks.md).
    """
    phrases = parse(q)
    if not phrases:
        return queryset.none()
    pks = _engine_matches(queryset, phrases, subjects_only, account_pk)
    if pks is not None:
        if not pks:
            return queryset.none()
        # Written into the SQL (integers from the engine): as ten thousand bound parameters,
        # Django's SQLite backend alone took 20 ms to pass them.
        return queryset.filter(pk__in=RawSQL(", ".join(str(int(pk)) for pk in pks), ()))
    return queryset.alias(
        search_found=_text_matches(phrases, subjects_only, _vendor(queryset))
    ).filter(search_found__isnull=False)


def ranked(q: str, *, using: str = "default", limit: int = MAX_RANKED) -> list[int]:
    """The pks of the newest `limit` cases matching `q`, best match first (ties: newest first).

    Bounded whatever the number of matches: the engine walks its index newest case first and
    scores only the cases it keeps, so a word in half the cases costs what a rare one does. A
    query matching more than `limit` cases is ranked among its newest `limit` matches. One
    query on PostgreSQL (its planner chooses between the GIN index and a walk along the primary
    key from the stored vectors' statistics); on SQLite two, or three when a word is in more
    than RANK_COMMON cases (it selects but does not rank: bm25 would count its cases first)."""
    phrases = parse(q)
    if not phrases:
        return []
    if connections[using].vendor == "postgresql":
        # Newest first under a limit, over the stored vectors: for a common word the planner
        # walks the primary key backwards testing each row's vector and stops at `limit`; for
        # a rare one it collects the GIN index's matches and sorts them. Ranking reads the
        # stored vectors rather than rebuilding them from the text.
        query = SearchQuery(_postgres_query(phrases), config="simple", search_type="raw")
        rows = list(
            postgres_matches(query, using=using)
            .annotate(rank=SearchRank(_document(), query))
            .order_by("-case_id")
            .values_list("case_id", "rank")[:limit]
        )
        rows.sort(key=lambda row: -row[1])  # stable: equal ranks stay newest first
        return [pk for pk, _rank in rows]
    with connections[using].cursor() as cursor:
        ranking = _sqlite_uncommon(cursor, phrases)
        if len(ranking) == len(phrases):
            cursor.execute(
                f"SELECT rowid, {_SQLITE_RANK} FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s "
                "ORDER BY rowid DESC LIMIT %s",
                (_sqlite_query(phrases), limit),
            )
            found = cursor.fetchall()
            found.sort(key=lambda row: row[1])  # bm25: lower is better
            return [pk for pk, _rank in found]
        # bm25 counts the cases holding each word over its whole index first: 50 ms for a word
        # in nearly every case. Such words still select (the newest matches of the whole
        # query), but only the others rank them; with none left, newest first.
        cursor.execute(
            f"SELECT rowid FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s "
            "ORDER BY rowid DESC LIMIT %s",
            (_sqlite_query(phrases), limit),
        )
        pks = [row[0] for row in cursor.fetchall()]
        if not ranking or not pks:
            return pks
        # Every match of the whole query matches its uncommon words; reading them between the
        # oldest and newest match kept scores those cases (and few others).
        cursor.execute(
            f"SELECT rowid, {_SQLITE_RANK} FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s "
            "AND rowid BETWEEN %s AND %s",
            (_sqlite_query(ranking), pks[-1], pks[0]),
        )
        scores = dict(cursor.fetchall())
    return sorted(pks, key=lambda pk: scores.get(pk, 0.0))  # stable: ties stay newest first


def _sqlite_uncommon(cursor: Any, phrases: list[Phrase]) -> list[Phrase]:
    """The phrases in at most RANK_COMMON cases (one query: each count stops there)."""
    counts = ", ".join(
        f"(SELECT count(*) FROM (SELECT 1 FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s "
        "LIMIT %s))"
        for _ in phrases
    )
    params: list[Any] = []
    for phrase in phrases:
        params += [_sqlite_query([phrase]), RANK_COMMON + 1]
    cursor.execute(f"SELECT {counts}", params)
    found = cursor.fetchone()
    return [phrase for phrase, count in zip(phrases, found, strict=True) if count <= RANK_COMMON]


def similar(
    q: str, candidates: QuerySet[Case], *, subjects_only: bool = False, limit: int = 5
) -> list[int]:
    """The pks of up to `limit` of `candidates` (a tenant's cases: the caller scopes them) whose
    subject or correspondence holds any word of `q` (at least SIMILAR_MIN characters, or a
    Chinese, Japanese or Korean word; the last one also as a prefix, for a subject being
    typed), best match first (ties: newest first). For suggesting earlier cases like a new one,
    ranked by the engine among the candidates' matches, in two queries: words in more than
    RANK_COMMON cases are left out first (they say little about a problem, and ranking would
    score every case holding them: a second for a word in most of a million cases), counted on
    SQLite, read from the planner's statistics on PostgreSQL (`_postgres_common`)."""
    parsed = parse(q)
    phrases = [
        (tokens, prefix or (index == len(parsed) - 1 and len(tokens[-1]) >= PREFIX_MIN))
        for index, (tokens, prefix) in enumerate(parsed)
        if len(tokens) > 1 or len(tokens[0]) >= SIMILAR_MIN
    ]
    if not phrases:
        return []
    if _vendor(candidates) == "postgresql":
        common = _postgres_common(candidates.db)
        # A word being typed (a prefix) matches at least the cases of the word itself.
        phrases = [
            (tokens, prefix)
            for tokens, prefix in phrases
            if len(tokens) > 1 or tokens[0] not in common
        ]
        if not phrases:
            return []
        query = SearchQuery(
            _postgres_query(phrases, subjects_only=subjects_only, any_word=True),
            config="simple",
            search_type="raw",
        )
        return list(
            postgres_matches(query, using=candidates.db)
            .filter(case_id__in=candidates.values("pk"))
            .annotate(rank=SearchRank(_document(), query))
            .order_by("-rank", "-case_id")
            .values_list("case_id", flat=True)[:limit]
        )
    among, params = candidates.values("pk").query.sql_with_params()
    with connections[candidates.db].cursor() as cursor:
        phrases = _sqlite_uncommon(cursor, phrases)
        if not phrases:
            return []
        cursor.execute(
            f"SELECT rowid FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s AND rowid IN "
            f"({among}) ORDER BY {_SQLITE_RANK}, rowid DESC LIMIT %s",
            (
                _sqlite_query(phrases, subjects_only=subjects_only, any_word=True),
                *params,
                limit,
            ),
        )
        return [row[0] for row in cursor.fetchall()]


def _postgres_common(using: str) -> frozenset[str]:
    """The words in more than RANK_COMMON cases, from PostgreSQL's statistics of the stored
    vectors: ANALYZE keeps a tsvector column's most common lexemes with the share of rows
    holding each, and the table's row count (one catalog read, no scan; words it has not
    sampled as common are taken as uncommon)."""
    table = CaseSearch._meta.db_table
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples "
            "FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename "
            "JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = s.schemaname "
            "WHERE s.tablename = %s AND s.attname = 'document' "
            "AND s.schemaname = ANY(current_schemas(false))",
            [table],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None:
        return frozenset()
    words, shares, rows = row
    return frozenset(
        word for word, share in zip(words, shares, strict=False) if share * rows > RANK_COMMON
    )


def message_text(body: str, attachment_set: AttachmentSet | None) -> str:
    """What a message adds to the index: its text and its files' names (one query with files)."""
    if attachment_set is None:
        return body
    names = Attachment.objects.filter(attachment_set=attachment_set).values_list(
        "file_name", flat=True
    )
    return " ".join([body, *names])


def index_case(case: Case, text: str) -> None:
    """Index a new case: its subject and first message (`text`)."""
    insert_row(
        CaseSearch,
        {"case_id": case.pk, "subject": prepare(case.subject), "body": prepare(text)[:MAX_BODY]},
    )


def index_append(case_pks: Iterable[int], text: str) -> None:
    """Add `text` (a message, its files' names) to the cases' indexed correspondence, in one
    UPDATE whatever the number of cases."""
    prepared = prepare(text)
    if not prepared:
        return
    CaseSearch.objects.filter(case_id__in=list(case_pks)).update(
        body=Substr(Concat(F("body"), Value(" " + prepared)), 1, MAX_BODY)
    )
