# Notifications stop pointing at cases: the email outbox sits below the apps that write to it.
# Each message keeps what it was about as a topic (the case id) and the account it belongs to,
# both copied from its case in set-based UPDATEs before the case's foreign key is dropped.

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_from_cases(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    Case = apps.get_model("cases", "Case")
    case = Case.objects.filter(pk=OuterRef("case_id"))
    Notification.objects.filter(case__isnull=False).update(
        topic=Subquery(case.values("case_id")[:1]),
        account=Subquery(case.values("account_id")[:1]),
    )


def copy_to_cases(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    Case = apps.get_model("cases", "Case")
    case = Case.objects.filter(case_id=OuterRef("topic"))
    Notification.objects.exclude(topic="").update(case=Subquery(case.values("pk")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0001_initial"),
        ("accounts", "0002_reference_models_to_catalog"),
        ("cases", "0003_severity_in_catalog"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="account",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="notifications", to="accounts.account"),
        ),
        migrations.AddField(
            model_name="notification",
            name="topic",
            field=models.CharField(blank=True, db_index=True, default="", max_length=128),
            preserve_default=False,
        ),
        migrations.RunPython(copy_from_cases, copy_to_cases, elidable=False),
        migrations.RemoveField(model_name="notification", name="case"),
    ]
