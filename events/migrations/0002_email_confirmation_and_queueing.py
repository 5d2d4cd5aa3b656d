"""Email targets need confirming; deliveries get a purpose (event or confirmation email) and the
time their task was last queued (the sweep only queues).

Existing email targets become "pending confirmation": they were never confirmed by their
recipient, and nothing is sent to them until someone with PutTargets asks for the confirmation
email from the rule's page (no email is sent by the migration itself).
"""

from django.db import migrations, models


def email_targets_pending(apps, schema_editor):  # type: ignore[no-untyped-def]
    EventTarget = apps.get_model("events", "EventTarget")
    EventTarget.objects.filter(kind="email").update(confirmation_status="pending")


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="eventtarget",
            name="confirmation_status",
            field=models.CharField(
                choices=[
                    ("none", "Not needed"),
                    ("pending", "Pending confirmation"),
                    ("confirmed", "Confirmed"),
                ],
                default="none",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="eventtarget",
            name="confirmation_requested_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="eventtarget",
            name="confirmed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="eventdelivery",
            name="purpose",
            field=models.CharField(
                choices=[("event", "Event"), ("confirmation", "Confirmation request")],
                default="event",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="eventdelivery",
            name="queued_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(email_targets_pending, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="eventtarget",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("confirmation_status__in", ["pending", "confirmed"]), ("kind", "email")
                    ),
                    models.Q(
                        models.Q(("kind", "email"), _negated=True), ("confirmation_status", "none")
                    ),
                    _connector="OR",
                ),
                name="event_target_confirmation_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="eventdelivery",
            constraint=models.CheckConstraint(
                condition=models.Q(("purpose__in", ["event", "confirmation"])),
                name="event_delivery_purpose_valid",
            ),
        ),
    ]
