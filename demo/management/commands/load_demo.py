from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from demo.loader import demo_load


class Command(BaseCommand):
    help = "Load the demo tenant (only when SUPPORTCENTER_DEMO is on, unless --force)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Load even if DEMO is off.")

    def handle(self, *args: object, **options: object) -> None:
        if not (settings.DEMO or options["force"]):
            self.stdout.write("SUPPORTCENTER_DEMO is off: no demo tenant loaded.")
            return
        created = demo_load()
        if created:
            self.stdout.write(f"Demo tenant: created accounts {', '.join(created)}.")
        else:
            self.stdout.write("Demo tenant: already loaded.")
