# The AWS connection moves from `advisor` to `connections`, which Trusted Advisor and event
# delivery both use. This step only gives connections the table in Django's model state, still
# named advisor_awsconnection; advisor.0002 drops it from advisor's state and connections.0002
# renames the table. No row is copied.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
        ("advisor", "0001_initial"),
    ]

    state_operations = [
        migrations.CreateModel(
            name="AwsConnection",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("mode", models.CharField(choices=[("keys", "Access key"), ("role", "Role to assume"), ("sample", "Sample environment")], max_length=8)),
                ("access_key_id", models.CharField(blank=True, max_length=128)),
                ("secret_access_key_encrypted", models.TextField(blank=True)),
                ("role_arn", models.CharField(blank=True, max_length=2048)),
                ("external_id", models.CharField(blank=True, max_length=1224)),
                ("regions", models.JSONField(default=list)),
                ("account", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="aws_connection", to="accounts.account")),
            ],
            options={
                "db_table": "advisor_awsconnection",
                "constraints": [models.CheckConstraint(condition=models.Q(("mode__in", ["keys", "role", "sample"])), name="aws_connection_mode_valid")],
            },
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations),
    ]
