from django.core.management.base import BaseCommand

from catalog.services import reference_data_load


class Command(BaseCommand):
    help = "Load plans, severities, response targets, managed policies and the service catalog."

    def handle(self, *args: object, **options: object) -> None:
        result = reference_data_load()
        self.stdout.write(f"Reference data: {result.created} rows created.")
