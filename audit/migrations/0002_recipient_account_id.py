# Two changes that put the audit trail below every app that writes to it:
# - trails leave for the `cloudtrail` app (state only here; see cloudtrail.0001 and 0002);
# - a record names its account by the 12-digit number (CloudTrail's recipientAccountId) instead
#   of a foreign key to accounts. The number is copied from the account each record pointed at,
#   in one set-based UPDATE, before the foreign key and its indexes are dropped; the lookup
#   indexes are rebuilt on the new column.

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

INDEXES = {
    "audit_account_time": ["-event_time", "-id"],
    "audit_acct_name": ["event_name", "-event_time", "-id"],
    "audit_acct_user": ["user_name", "-event_time", "-id"],
    "audit_acct_res": ["resource_name", "-event_time", "-id"],
    "audit_acct_key": ["access_key_id", "-event_time", "-id"],
    "audit_acct_src": ["event_source", "-event_time", "-id"],
    "audit_acct_ro": ["read_only", "-event_time", "-id"],
}


def copy_account_numbers(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    Account = apps.get_model("accounts", "Account")
    number = Account.objects.filter(pk=OuterRef("account_id")).values("account_id")[:1]
    AuditEvent.objects.filter(account__isnull=False).update(recipient_account_id=Subquery(number))


def copy_account_links(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    Account = apps.get_model("accounts", "Account")
    row = Account.objects.filter(account_id=OuterRef("recipient_account_id")).values("pk")[:1]
    AuditEvent.objects.exclude(recipient_account_id="").update(account=Subquery(row))


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
        ("accounts", "0002_reference_models_to_catalog"),
        ("cloudtrail", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="TrailDelivery"),
                migrations.DeleteModel(name="Trail"),
            ]
        ),
        migrations.AddField(
            model_name="auditevent",
            name="recipient_account_id",
            field=models.CharField(blank=True, default="", max_length=12),
            preserve_default=False,
        ),
        migrations.RunPython(copy_account_numbers, copy_account_links, elidable=False),
        *[migrations.RemoveIndex(model_name="auditevent", name=name) for name in INDEXES],
        migrations.RemoveField(model_name="auditevent", name="account"),
        *[
            migrations.AddIndex(
                model_name="auditevent",
                index=models.Index(fields=["recipient_account_id", *fields], name=name),
            )
            for name, fields in INDEXES.items()
        ],
    ]
