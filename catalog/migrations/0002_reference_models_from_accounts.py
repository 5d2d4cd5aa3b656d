# Plans, severities and the plan x severity matrix move from `accounts` to `catalog`, the one
# home of reference data. This step only tells Django's model state that catalog now owns the
# three tables (still named accounts_*); accounts.0002 drops them from accounts' state, and
# catalog.0003 renames the tables. No row is copied, so nothing can be lost.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    state_operations = [
        migrations.CreateModel(
            name="Severity",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("code", models.CharField(max_length=16, unique=True)),
                ("name", models.CharField(max_length=100)),
                ("name_ja", models.CharField(blank=True, max_length=100, verbose_name="name (Japanese)")),
                ("level", models.PositiveSmallIntegerField(unique=True)),
                ("description", models.TextField(blank=True)),
            ],
            options={
                "verbose_name_plural": "severities",
                "ordering": ["level"],
                "db_table": "accounts_severity",
            },
        ),
        migrations.CreateModel(
            name="SupportPlan",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("code", models.SlugField(max_length=32, unique=True)),
                ("name", models.CharField(max_length=100)),
                ("position", models.PositiveSmallIntegerField(default=0, help_text="Order in lists.")),
                ("allows_account_and_billing", models.BooleanField(default=True, verbose_name="account and billing cases")),
                ("allows_service_limit_increase", models.BooleanField(default=True, verbose_name="service limit increase cases")),
                ("allows_technical", models.BooleanField(default=False, verbose_name="technical cases")),
                ("allows_web", models.BooleanField(default=True, verbose_name="web contact")),
                ("allows_chat", models.BooleanField(default=False, verbose_name="chat contact")),
                ("allows_phone", models.BooleanField(default=False, verbose_name="phone contact")),
                ("allows_cc", models.BooleanField(default=False, verbose_name="CC lists (additional contacts)")),
                ("api_access", models.BooleanField(default=False, verbose_name="AWS Support API access")),
                ("full_trusted_advisor", models.BooleanField(default=False, verbose_name="all Trusted Advisor checks")),
                ("business_hours_only", models.BooleanField(default=False, help_text="Weekdays 08:00-18:00 in the account's time zone, without public holidays.", verbose_name="response targets count business hours")),
            ],
            options={
                "ordering": ["position", "code"],
                "db_table": "accounts_supportplan",
            },
        ),
        migrations.CreateModel(
            name="PlanSeverity",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("response_minutes", models.PositiveIntegerField(help_text="First-response target in minutes (business minutes on business-hours plans).")),
                ("plan", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="plan_severities", to="catalog.supportplan")),
                ("severity", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="plan_severities", to="catalog.severity")),
            ],
            options={
                "verbose_name": "response-time target",
                "ordering": ["plan__position", "severity__level"],
                "db_table": "accounts_planseverity",
                "constraints": [
                    models.UniqueConstraint(fields=("plan", "severity"), name="plan_severity_unique"),
                    models.CheckConstraint(condition=models.Q(("response_minutes__gt", 0)), name="plan_severity_positive_target"),
                ],
            },
        ),
        migrations.AddField(
            model_name="supportplan",
            name="severities",
            field=models.ManyToManyField(blank=True, related_name="plans", through="catalog.PlanSeverity", to="catalog.severity"),
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations),
    ]
