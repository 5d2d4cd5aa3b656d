# Resource ids never start with "-" any more (advisor.services.resource_id_for: a cell starting
# with "-" is a spreadsheet formula, and the CSV download writes ids exactly). Stored ids are
# renamed the same way, so exclusions and the comparison with the previous run still match.

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat, Substr


def rename(apps, schema_editor):
    for name in ("CheckResource", "ResourceExclusion"):
        model = apps.get_model("advisor", name)
        model.objects.filter(resource_id__startswith="-").update(
            resource_id=Concat(Value("_"), Substr("resource_id", 2))
        )


class Migration(migrations.Migration):

    dependencies = [
        ("advisor", "0002_aws_connection_to_connections"),
    ]

    operations = [migrations.RunPython(rename, migrations.RunPython.noop)]
