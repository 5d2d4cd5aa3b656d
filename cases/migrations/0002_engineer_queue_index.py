"""The engineers' queue index: unanswered cases first, then by first-response deadline.

Created per database: PostgreSQL needs NULLS FIRST spelled out (its ascending default puts NULLs
last), while SQLite already orders NULLs first and refuses the clause in an index.
"""

from django.db import migrations

COLUMNS = "first_response_due_at, created_at, display_id"


def create(apps, schema_editor):
    nulls = " NULLS FIRST" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX case_engineer_queue ON cases_case (first_responded_at{nulls}, {COLUMNS})"
    )


def drop(apps, schema_editor):
    schema_editor.execute("DROP INDEX case_engineer_queue")


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
