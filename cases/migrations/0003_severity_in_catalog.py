# Severities moved to `catalog` (catalog.0002): the case's foreign key follows. The column and
# its constraint are unchanged; only Django's model state learns the new owner.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0002_engineer_queue_index"),
        ("catalog", "0002_reference_models_from_accounts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="case",
                    name="severity",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="cases", to="catalog.severity"),
                ),
            ]
        ),
    ]
