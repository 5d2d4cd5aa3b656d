from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from core.services import database_optimize


class Command(BaseCommand):
    help = (
        "Prepare a data directory: migrate, collect static files, load reference (and demo) data."
    )

    def handle(self, *args: object, **options: object) -> None:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("seed_reference_data")
        call_command("load_demo")
        database_optimize()
