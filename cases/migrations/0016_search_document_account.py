"""PostgreSQL: the stored search vector also holds the case's account, as a lexeme no text can
produce ("#" and the account's pk: prepared text is letters and digits), so the customer's case
list asks the GIN index for one account's matches (`cases.search.account_lexeme`). Without it
the index gave matches in every account: collecting a word in 1% of a million cases read ten
thousand rows to keep a quarter of them, and in an account holding few of a common word's
matches the list read the whole account testing each case.

PostgreSQL 15 cannot change a generated column's expression in place (dropping and adding it
rewrites the table under a lock for the whole run), so the column stops being generated (DROP
EXPRESSION keeps its values, no rewrite) and a trigger computes it instead, as the expression
did plus the account's lexeme, on every insert and update of a row: the services and the bulk
seeding write subject and body as before and cannot leave the vector behind. A case never
changes account. Existing rows are rewritten in batches of their own transactions (the
migration is not atomic); the GIN index stays and takes the new lexemes as rows change. Then
ANALYZE, so the planner knows each account's share (its estimate of a word in an account is
the product of the two). SQLite: nothing changes (FTS5's table is the engine there).
"""

from django.db import migrations

BATCH = 20_000
VECTOR = (
    "setweight(to_tsvector('simple'::regconfig, COALESCE(subject, '')), 'A')"
    " || setweight(to_tsvector('simple'::regconfig, COALESCE(body, '')), 'B')"
)
FUNCTION = """
CREATE OR REPLACE FUNCTION cases_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.document :=
        setweight(to_tsvector('simple'::regconfig, COALESCE(NEW.subject, '')), 'A')
        || setweight(to_tsvector('simple'::regconfig, COALESCE(NEW.body, '')), 'B')
        || COALESCE(
            (SELECT array_to_tsvector(ARRAY['#' || c.account_id::text])
             FROM cases_case c WHERE c.id = NEW.case_id),
            ''::tsvector);
    RETURN NEW;
END
$$
"""
FORWARD = [
    "ALTER TABLE cases_casesearch ALTER COLUMN document DROP EXPRESSION",
    FUNCTION,
    "CREATE TRIGGER cases_search_document BEFORE INSERT OR UPDATE ON cases_casesearch "
    "FOR EACH ROW EXECUTE FUNCTION cases_search_document()",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS cases_search_document ON cases_casesearch",
    "DROP FUNCTION IF EXISTS cases_search_document()",
    "ALTER TABLE cases_casesearch DROP COLUMN document",
    f"ALTER TABLE cases_casesearch ADD COLUMN document tsvector GENERATED ALWAYS AS ({VECTOR}) STORED",
    "CREATE INDEX case_search_document ON cases_casesearch USING gin (document)",
    "ANALYZE cases_casesearch",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in FORWARD:
        schema_editor.execute(statement)
    # Every row once more through the trigger, a batch of case ids per transaction; rows
    # written meanwhile go through it anyway.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT MAX(case_id) FROM cases_casesearch")
        (high,) = cursor.fetchone()
        for start in range(0, high or 0, BATCH):
            cursor.execute(
                "UPDATE cases_casesearch SET body = body WHERE case_id > %s AND case_id <= %s",
                [start, start + BATCH],
            )
    schema_editor.execute("ANALYZE cases_casesearch")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("cases", "0015_case_severity_level")]

    operations = [migrations.RunPython(forward, backward)]
