"""Serve the Trusted Advisor sample environment: a seeded moto server, until SIGTERM or Ctrl-C.

`manage.py runstack` starts it for the demo and points every process at it through
SUPPORTCENTER_ADVISOR_SAMPLE_ENDPOINT, so the web server and the workers see the same resources.
"""

from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from connections import sample


class Command(BaseCommand):
    help = "Run a moto server seeded with the Trusted Advisor sample resources."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=0, help="0 picks a free port.")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()

        def request_stop(*_: object) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        server, url = sample.start_server(options["host"], options["port"])
        try:
            sample.seed(url)
            self.stdout.write(f"Sample AWS environment (moto) at {url}")
            self.stdout.flush()
            # A timeout keeps the main thread responsive to signals on every platform.
            while not stop.wait(1.0):
                pass
        finally:
            server.stop()
