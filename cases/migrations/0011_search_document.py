"""PostgreSQL: the searchable text's tsvector stored in a generated column with its GIN index,
instead of a GIN index over the expression. Ranking read the expression's value by rebuilding
it from the text for every case it scored (about 20 µs each, a thousand per console search),
and testing a case the list walks parsed its whole text again; a stored vector is read, not
rebuilt, and its column statistics give the planner each word's frequency. Not a model field:
SQLite has no such type (its FTS5 table is the engine there), so `cases.search` names the column
in SQL. SQLite: nothing changes."""

from django.db import migrations

VECTOR = (
    "setweight(to_tsvector('simple'::regconfig, COALESCE(subject, '')), 'A')"
    " || setweight(to_tsvector('simple'::regconfig, COALESCE(body, '')), 'B')"
)
FORWARD = [
    f"ALTER TABLE cases_casesearch ADD COLUMN document tsvector GENERATED ALWAYS AS ({VECTOR}) STORED",
    "CREATE INDEX case_search_document ON cases_casesearch USING gin (document)",
    "DROP INDEX case_search_vector",
    # The words' frequencies at once, not at autovacuum's next visit.
    "ANALYZE cases_casesearch",
]
BACKWARD = [
    f"CREATE INDEX case_search_vector ON cases_casesearch USING gin (({VECTOR}))",
    "DROP INDEX case_search_document",
    "ALTER TABLE cases_casesearch DROP COLUMN document",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("cases", "0010_case_read_marks")]

    operations = [migrations.RunPython(forward, backward)]
