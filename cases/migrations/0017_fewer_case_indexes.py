# Indexes each case write no longer pays for: the foreign keys' own single-column indexes where
# a composite index starts with the same column, and the related case's where nearly every value
# is NULL (a partial index instead). Only the indexes change: on SQLite, Django's AlterField would
# rebuild the tables (minutes at a million cases, and the rebuild drops case_engineer_queue, an
# index the models cannot declare), and on PostgreSQL it would drop and re-validate the foreign
# keys; so the database side is the index statements alone.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (table, column) whose single-column, non-unique index goes.
REDUNDANT = (
    ("cases_case", "account_id"),
    ("cases_case", "related_case_id"),
    ("cases_caseevent", "case_id"),
    ("cases_communication", "case_id"),
)
RELATED = 'CREATE INDEX IF NOT EXISTS "case_related" ON "cases_case" ("related_case_id") WHERE "related_case_id" IS NOT NULL'


def _single_column_indexes(connection, table, column):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [
        name
        for name, info in constraints.items()
        if info["index"] and not info["unique"] and not info["primary_key"]
        and info["columns"] == [column]
    ]


def drop_redundant(apps, schema_editor):
    connection = schema_editor.connection
    for table, column in REDUNDANT:
        for name in _single_column_indexes(connection, table, column):
            schema_editor.execute(f'DROP INDEX "{name}"')
    schema_editor.execute(RELATED)
    if connection.vendor == "sqlite":
        # Like 0014: statistics for the new index where the install already has some, so the
        # planner does not keep judging the related case by the dropped index's numbers.
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
            has_stats = cursor.fetchone() is not None
            if has_stats:
                cursor.execute("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'cases_case' LIMIT 1")
                has_stats = cursor.fetchone() is not None
        if has_stats:
            schema_editor.execute("ANALYZE case_related")


def restore(apps, schema_editor):
    schema_editor.execute('DROP INDEX "case_related"')
    for table, column in REDUNDANT:
        schema_editor.execute(f'CREATE INDEX "{table}_{column}_restored" ON "{table}" ("{column}")')


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_account_contact_phone_account_language_and_more'),
        ('cases', '0016_search_document_account'),
        ('catalog', '0006_service_is_security'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='case',
                    name='account',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='cases', to='accounts.account'),
                ),
                migrations.AlterField(
                    model_name='case',
                    name='related_case',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='follow_ups', to='cases.case'),
                ),
                migrations.AlterField(
                    model_name='caseevent',
                    name='case',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='cases.case'),
                ),
                migrations.AlterField(
                    model_name='communication',
                    name='case',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='communications', to='cases.case'),
                ),
                migrations.AddIndex(
                    model_name='case',
                    index=models.Index(condition=models.Q(('related_case__isnull', False)), fields=['related_case'], name='case_related'),
                ),
            ],
            database_operations=[migrations.RunPython(drop_redundant, restore)],
        ),
    ]
