"""The case list's filters, each with an index that reads an account's cases newest first; and the
engineers' queue index again on SQLite.

SQLite alters a table by rebuilding it with the indexes the models declare, and
case_engineer_queue (made in raw SQL by 0002, since SQLite refuses NULLS FIRST in an index) is
not among them: 0003's rebuild dropped it, and the queue sorted every open case (2.2 s a page at
a million). tests/cases/test_case_list.py checks that it is there after every migration.
"""

from django.conf import settings
from django.db import migrations, models

QUEUE_COLUMNS = "first_response_due_at, created_at, display_id"


def queue_index(apps, schema_editor):
    nulls = " NULLS FIRST" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS case_engineer_queue ON cases_case "
        f"(first_responded_at{nulls}, {QUEUE_COLUMNS})"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_user_time_zone'),
        ('cases', '0008_case_search'),
        ('catalog', '0005_plan_severity_next_reply'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(queue_index, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name='case',
            name='case_account_status',
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['account', 'status', '-created_at'], name='case_account_status_created'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['account', 'severity', '-created_at'], name='case_account_severity_created'),
        ),
    ]
