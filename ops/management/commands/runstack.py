"""Run the whole product: web server, Celery worker and Celery beat, as child processes.

Prints the URL and (with the demo tenant) the sign-ins. Ctrl-C (or SIGTERM) stops everything it
started; if one process dies, the others are stopped too and the command fails.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from demo.loader import sign_ins


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sample_server_needed() -> bool:
    """Whether the stack runs the moto sample environment: only when accounts may use it (with
    the demo, by default) and no server was named. It holds some 300 MB, most of the stack's
    memory besides gunicorn and the worker."""
    return bool(settings.ADVISOR_SAMPLE_ENABLED and not settings.ADVISOR_SAMPLE_ENDPOINT)


class Command(BaseCommand):
    help = "Start the web server, a Celery worker and Celery beat; stop them all on Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--web-workers", type=int, default=2)

    def handle(self, *args: object, **options: object) -> None:
        bin_dir = Path(sys.executable).parent
        data_dir = Path(settings.DATA_DIR)
        data_dir.mkdir(parents=True, exist_ok=True)
        bind = f"{options['host']}:{options['port']}"
        commands = {
            "web": [
                str(bin_dir / "gunicorn"),
                "--config",
                "python:supportcenter.gunicorn_config",
                "supportcenter.wsgi",
                "--bind",
                bind,
                "--workers",
                str(options["web_workers"]),
                "--threads",
                "4",
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "5",
            ],
            "worker": [
                str(bin_dir / "celery"),
                "-A",
                "supportcenter",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--hostname",
                "worker@%h",
            ],
            "beat": [
                str(bin_dir / "celery"),
                "-A",
                "supportcenter",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(data_dir / "celerybeat-schedule"),
                "--pidfile",
                str(data_dir / "celerybeat.pid"),
            ],
        }
        env = dict(os.environ)
        if sample_server_needed():
            # One moto server for the whole stack, so the web and every worker process see the
            # same sample AWS environment (an in-process one per worker would not agree on ids).
            port = _free_port()
            commands = {
                "aws-sample": [
                    sys.executable,
                    "manage.py",
                    "advisor_sample",
                    "--port",
                    str(port),
                ],
                **commands,
            }
            env["SUPPORTCENTER_ADVISOR_SAMPLE_ENDPOINT"] = f"http://127.0.0.1:{port}"
        processes: dict[str, subprocess.Popen[bytes]] = {}
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            for name, command in commands.items():
                # Own process group: Ctrl-C reaches us once, and we stop each child in order.
                processes[name] = subprocess.Popen(command, start_new_session=True, env=env)
            self._announce(bind)
            exit_code = 0
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(f"{name} exited with {process.returncode}; stopping.")
                        exit_code = 1
                        stopping = True
                        break
                time.sleep(0.5)
        finally:
            self._stop_all(processes)
        if exit_code:
            raise SystemExit(exit_code)
        self.stdout.write("Stopped.")

    def _stop_all(self, processes: dict[str, subprocess.Popen[bytes]]) -> None:
        # Each main process gets SIGTERM and stops its own children (gunicorn's workers, Celery's
        # pool) cleanly; whole groups are killed only if that takes too long.
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in processes.values():
            remaining = max(0.1, deadline - time.monotonic())
            try:
                process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def _announce(self, bind: str) -> None:
        lines = ["", f"Support Center is starting on http://{bind}/", ""]
        lines.append(f"  Sign in:    http://{bind}/signin/  (root users and support engineers)")
        lines.append(f"              http://{bind}/signin/<account-id>/  (IAM users)")
        lines.append(f"  Admin site: http://{bind}/admin/")
        if settings.DEMO:
            lines.append("  Demo sign-ins (who, sign-in name, password):")
            for row in sign_ins():
                lines.append(f"    {row['who']:<45} {row['login']:<40} {row['password']}")
        lines += ["", "Press Ctrl-C to stop the web server, the worker and beat.", ""]
        self.stdout.write("\n".join(lines))
        # Written to a file or a pipe (a container's log, a service manager), stdout is
        # block-buffered: without this the addresses would appear only when the stack stops.
        self.stdout.flush()
