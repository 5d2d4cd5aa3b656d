from django.core.management.base import BaseCommand

from accounts.services import managed_policies_load
from catalog.services import reference_data_load


class Command(BaseCommand):
    help = "Load plans, severities, response targets, the service catalog and managed policies."

    def handle(self, *args: object, **options: object) -> None:
        created = reference_data_load().created + managed_policies_load()
        self.stdout.write(f"Reference data: {created} rows created.")
