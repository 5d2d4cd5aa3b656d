# The JSON columns are read with core.safejson.StoredDecoder. A decoder is Python only: the
# columns do not change, so the database is left alone (SQLite would otherwise rebuild the whole
# audit table, once per field).

import core.safejson
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_recipient_account_id"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="request_parameters",
                    field=models.JSONField(
                        blank=True, decoder=core.safejson.StoredDecoder, null=True
                    ),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="resources",
                    field=models.JSONField(
                        blank=True, decoder=core.safejson.StoredDecoder, default=list
                    ),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="response_elements",
                    field=models.JSONField(
                        blank=True, decoder=core.safejson.StoredDecoder, null=True
                    ),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="user_identity",
                    field=models.JSONField(decoder=core.safejson.StoredDecoder, default=dict),
                ),
            ],
            database_operations=[],
        ),
    ]
