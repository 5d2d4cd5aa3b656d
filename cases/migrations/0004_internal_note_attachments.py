# Engineers attach files to internal notes: a note may hold an attachment set, as a
# communication does (customers' loaders leave these sets out).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0003_severity_in_catalog"),
    ]

    operations = [
        migrations.AddField(
            model_name="internalnote",
            name="attachment_set",
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="internal_note", to="cases.attachmentset"),
        ),
    ]
