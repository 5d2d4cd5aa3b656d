"""Case.severity_level: the severity's level copied beside each case, with an index (account,
level, display id) that the case list's "highest severity" order reads instead of joining the
catalog and sorting the account's cases (about 410 ms a first page at a million cases).

Not Django's AddField: on SQLite it rebuilds a table for a NOT NULL column, and a rebuild drops
the indexes made in raw SQL (case_engineer_queue; see 0009). ALTER TABLE ADD COLUMN with a
constant default is instant on both engines (PostgreSQL 11 and later store the default rather
than rewriting rows). Existing cases get their level in batches of their own transactions (the
migration is not atomic), so no lock is held for the whole table; PostgreSQL then drops the
default, so a case written without its level is refused rather than ranked lowest (SQLite
cannot drop a default; the ORM always writes the column). The index is built after the levels
(concurrently on PostgreSQL), and its statistics gathered as in 0014.
"""

from django.db import migrations, models

BATCH = 20_000
INDEX = (
    "case_account_level ON cases_case "
    "(account_id, severity_level DESC, display_id DESC)"
)
LEVEL = "(SELECT s.level FROM catalog_severity s WHERE s.id = cases_case.severity_id)"


def add_column(apps, schema_editor):
    unsigned = "" if schema_editor.connection.vendor == "postgresql" else " unsigned"
    schema_editor.execute(
        f"ALTER TABLE cases_case ADD COLUMN severity_level smallint{unsigned} "
        "DEFAULT 0 NOT NULL CHECK (severity_level >= 0)"
    )


def copy_levels(apps, schema_editor):
    """Every case's level, a batch of ids per transaction, until no case is left behind (cases
    created while it runs, by code that does not write the column yet, come after the last
    id it read)."""
    done = 0
    with schema_editor.connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT MAX(id) FROM cases_case")
            (high,) = cursor.fetchone()
            if high is None or high <= done:
                break
            for start in range(done, high, BATCH):
                cursor.execute(
                    f"UPDATE cases_case SET severity_level = {LEVEL} "
                    "WHERE id > %s AND id <= %s",
                    [start, min(start + BATCH, high)],
                )
            done = high


def finish(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE cases_case ALTER COLUMN severity_level DROP DEFAULT")
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX}")
        # The new column's statistics (the planner has none until autovacuum's next visit).
        schema_editor.execute("ANALYZE cases_case")
        return
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return
        cursor.execute("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'cases_case' LIMIT 1")
        if cursor.fetchone() is None:
            return
    # Statistics for the new index where the older ones have some (see 0014).
    schema_editor.execute("ANALYZE case_account_level")


def remove(apps, schema_editor):
    schema_editor.execute("DROP INDEX IF EXISTS case_account_level")
    schema_editor.execute("ALTER TABLE cases_case DROP COLUMN severity_level")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0014_list_sort_indexes"),
        ("catalog", "0006_service_is_security"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="case",
                    name="severity_level",
                    field=models.PositiveSmallIntegerField(),
                ),
                migrations.AddIndex(
                    model_name="case",
                    index=models.Index(
                        fields=["account", "-severity_level", "-display_id"],
                        name="case_account_level",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(add_column, remove),
                migrations.RunPython(copy_levels, migrations.RunPython.noop),
                migrations.RunPython(finish, migrations.RunPython.noop),
            ],
        ),
    ]
