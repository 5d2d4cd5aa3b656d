# The last step of moving the AWS connection to `connections`: the table takes its new name.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("connections", "0001_initial"),
        ("advisor", "0002_aws_connection_to_connections"),
    ]

    operations = [
        migrations.AlterModelTable(name="awsconnection", table=None),
    ]
