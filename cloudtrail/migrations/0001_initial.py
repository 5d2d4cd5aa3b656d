# Trails move from `audit` to `cloudtrail` (the event history and trail pages over the audit
# records): this step only gives cloudtrail the two tables in Django's model state,
# still named audit_*. audit.0002 drops them from audit's state and cloudtrail.0002 renames them.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
        ("audit", "0001_initial"),
    ]

    state_operations = [
        migrations.CreateModel(
            name="Trail",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=128)),
                ("destination", models.CharField(choices=[("local", "Local directory"), ("s3", "S3 bucket")], max_length=8)),
                ("folder", models.CharField(blank=True, max_length=128)),
                ("s3_bucket", models.CharField(blank=True, max_length=63)),
                ("s3_prefix", models.CharField(blank=True, max_length=200)),
                ("s3_region", models.CharField(blank=True, default="us-east-1", max_length=32)),
                ("s3_endpoint_url", models.CharField(blank=True, max_length=300)),
                ("s3_access_key_id", models.CharField(blank=True, max_length=128)),
                ("s3_secret_encrypted", models.TextField(blank=True)),
                ("enabled", models.BooleanField(default=True)),
                ("last_event_pk", models.BigIntegerField(default=0)),
                ("last_digest_hash", models.CharField(blank=True, max_length=64)),
                ("last_delivery_at", models.DateTimeField(blank=True, null=True)),
                ("last_error", models.CharField(blank=True, max_length=1000)),
                ("failures", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("account", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="trails", to="accounts.account")),
            ],
            options={
                "db_table": "audit_trail",
                "constraints": [
                    models.UniqueConstraint(fields=("account", "name"), name="trail_name_unique_in_account"),
                ],
            },
        ),
        migrations.CreateModel(
            name="TrailDelivery",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("log_key", models.CharField(max_length=500)),
                ("digest_key", models.CharField(max_length=500)),
                ("record_count", models.PositiveIntegerField()),
                ("log_hash", models.CharField(max_length=64)),
                ("digest_hash", models.CharField(max_length=64)),
                ("previous_digest_hash", models.CharField(blank=True, max_length=64)),
                ("first_event_pk", models.BigIntegerField()),
                ("last_event_pk", models.BigIntegerField()),
                ("delivered_at", models.DateTimeField()),
                ("trail", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="deliveries", to="cloudtrail.trail")),
            ],
            options={
                "ordering": ["delivered_at", "id"],
                "db_table": "audit_traildelivery",
            },
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations),
    ]
