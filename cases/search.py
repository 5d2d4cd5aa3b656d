"""Full-text search over cases, in the database's own engine: SQLite's FTS5 on the embedded
default, PostgreSQL's text search on the production path.

Both engines index the same prepared text (`prepare`): lower-cased words of letters and
digits separated by single spaces, accents on Latin, Greek and Cyrillic letters dropped, and
each Chinese, Japanese or Korean character a word of its own, since those languages do not put
spaces between words. A query is prepared the same way, word by word: a word that prepares to
several tokens ("i-0abc", "障害") must match them side by side, and the last token of each word
matches as a prefix when it has three characters or more ("throttl" finds "throttling").
Every word must match. Subjects weigh more than correspondence in the ranking.

The index is kept by the services that write cases and correspondence (`index_case`,
`index_append`); migration 0008 made the engines' structures and filled them for older cases.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections
from django.db.models import F, FloatField, OuterRef, QuerySet, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat, Substr

from cases.models import Attachment, AttachmentSet, Case, CaseSearch

# PostgreSQL refuses a tsvector over 1 MB; correspondence past this many characters is not
# indexed (a case that long is found by its first 200,000 characters).
MAX_BODY = 200_000
MAX_WORDS = 12
MAX_TOKENS_PER_WORD = 16
MAX_QUERY_LENGTH = 500
PREFIX_MIN = 3

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


def parse(q: str) -> list[list[str]]:
    """The query's words, each as its prepared tokens; words that prepare to nothing (only
    punctuation) are left out."""
    phrases = []
    for word in q[:MAX_QUERY_LENGTH].split()[:MAX_WORDS]:
        tokens = prepare(word).split()[:MAX_TOKENS_PER_WORD]
        if tokens:
            phrases.append(tokens)
    return phrases


def _sqlite_query(phrases: list[list[str]]) -> str:
    # Tokens are letters and digits only, so quoting them needs no escaping.
    parts = []
    for tokens in phrases:
        prefix = "*" if len(tokens[-1]) >= PREFIX_MIN else ""
        parts.append('"' + " ".join(tokens) + '"' + prefix)
    return " AND ".join(parts)


def _postgres_query(phrases: list[list[str]]) -> str:
    parts = []
    for tokens in phrases:
        quoted = [f"'{token}'" for token in tokens]
        if len(tokens[-1]) >= PREFIX_MIN:
            quoted[-1] += ":*"
        parts.append("(" + " <-> ".join(quoted) + ")")
    return " & ".join(parts)


def _vendor(queryset: QuerySet[Case]) -> str:
    return connections[queryset.db].vendor


def matching(queryset: QuerySet[Case], q: str, *, ranked: bool = False) -> QuerySet[Case]:
    """`queryset` narrowed to the cases whose subject or correspondence matches `q`; with
    `ranked`, annotated with `search_rank` (lower is a better match, so order by it ascending).
    An empty query matches nothing."""
    phrases = parse(q)
    if not phrases:
        none = queryset.none()
        return none.annotate(search_rank=Value(0.0)) if ranked else none
    if _vendor(queryset) == "postgresql":
        return _postgres_matching(queryset, _postgres_query(phrases), ranked=ranked)
    match = _sqlite_query(phrases)
    queryset = queryset.filter(
        pk__in=RawSQL(f"SELECT rowid FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s", (match,))
    )
    if ranked:
        # bm25 needs the row's full-text context: a correlated lookup by rowid, which FTS5
        # answers from the query's own doclists (one seek per listed case).
        rank = RawSQL(
            f"SELECT {_SQLITE_RANK} FROM {SQLITE_TABLE} "
            f"WHERE {SQLITE_TABLE} MATCH %s AND rowid = {Case._meta.db_table}.id",
            (match,),
            output_field=FloatField(),
        )
        queryset = queryset.annotate(search_rank=rank)
    return queryset


def _postgres_matching(queryset: QuerySet[Case], raw: str, *, ranked: bool) -> QuerySet[Case]:
    # The same expression as migration 0008's GIN index, over cases_casesearch alone: through
    # the case's (outer) join the planner could not use the index, COALESCE being non-strict.
    vector = SearchVector("subject", config="simple", weight="A") + SearchVector(
        "body", config="simple", weight="B"
    )
    query = SearchQuery(raw, config="simple", search_type="raw")
    matches = CaseSearch.objects.alias(search_vector=vector).filter(search_vector=query)
    queryset = queryset.filter(pk__in=matches.values("case_id"))
    if ranked:
        rank = (
            CaseSearch.objects.filter(case_id=OuterRef("pk"))
            .annotate(rank=-SearchRank(vector, query))
            .values("rank")
        )
        queryset = queryset.annotate(search_rank=Subquery(rank, output_field=FloatField()))
    return queryset


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
    CaseSearch.objects.create(
        case=case, subject=prepare(case.subject), body=prepare(text)[:MAX_BODY]
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
