# The last step of moving trails to `cloudtrail`: the tables take cloudtrail's names.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("cloudtrail", "0001_initial"),
        ("audit", "0002_recipient_account_id"),
    ]

    operations = [
        migrations.AlterModelTable(name="trail", table=None),
        migrations.AlterModelTable(name="traildelivery", table=None),
    ]
