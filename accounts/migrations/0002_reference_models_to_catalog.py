# The second step of moving plans, severities and the response-time matrix to `catalog` (see
# catalog.0002): accounts' own references follow, then the models leave accounts' state. The
# tables are untouched here.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("catalog", "0002_reference_models_from_accounts"),
        # Cases point at the severity table; they must follow it before accounts lets go.
        ("cases", "0003_severity_in_catalog"),
    ]

    state_operations = [
        migrations.AlterField(
            model_name="account",
            name="plan",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="accounts", to="catalog.supportplan"),
        ),
        migrations.RemoveField(model_name="supportplan", name="severities"),
        migrations.DeleteModel(name="PlanSeverity"),
        migrations.DeleteModel(name="SupportPlan"),
        migrations.DeleteModel(name="Severity"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations),
    ]
