# The AWS connection now belongs to the `connections` app (see connections.0001); the table is
# untouched here.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("advisor", "0001_initial"),
        ("connections", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AwsConnection")]
        ),
    ]
