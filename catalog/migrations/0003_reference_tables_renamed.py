# The last step of moving plans, severities and the response-time matrix to `catalog`: their
# tables take catalog's names. Foreign keys that point at them (accounts, cases) follow the
# rename on both databases.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0002_reference_models_from_accounts"),
        ("accounts", "0002_reference_models_to_catalog"),
    ]

    operations = [
        migrations.AlterModelTable(name="severity", table=None),
        migrations.AlterModelTable(name="supportplan", table=None),
        migrations.AlterModelTable(name="planseverity", table=None),
    ]
