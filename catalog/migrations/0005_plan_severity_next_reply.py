from django.db import migrations, models


def next_reply_targets(apps, schema_editor):
    """Existing cells get our default for their severity: its first-response target, but never
    under an hour (catalog.reference.NEXT_REPLY_TARGETS, spelled out so the migration keeps its
    meaning if the defaults change)."""
    PlanSeverity = apps.get_model("catalog", "PlanSeverity")
    for cell in PlanSeverity.objects.all():
        cell.next_reply_minutes = max(cell.response_minutes, 60)
        cell.save(update_fields=["next_reply_minutes"])


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_severity_sla_warning"),
    ]

    operations = [
        migrations.AddField(
            model_name="planseverity",
            name="next_reply_minutes",
            field=models.PositiveIntegerField(
                default=60,
                help_text=(
                    "Next-reply target in minutes, after the first response, while the case "
                    "waits for Support (business minutes on business-hours plans)."
                ),
            ),
            preserve_default=False,
        ),
        migrations.RunPython(next_reply_targets, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="planseverity",
            constraint=models.CheckConstraint(
                condition=models.Q(("next_reply_minutes__gt", 0)),
                name="plan_severity_positive_next_reply",
            ),
        ),
    ]
