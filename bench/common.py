"""What the benchmarks share: the scratch environment of a Support Center of their own, gunicorn
started as `make run` starts it, a threaded load of real clients (`measure`), and the record in
docs/benchmarks.md (`publish`)."""

from __future__ import annotations

import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def start_web(
    env: dict[str, str], port: int, workers: int = 2, threads: int = 4
) -> subprocess.Popen:
    """gunicorn serving the app on loopback, as `make run` does (`manage.py runstack`: its
    configuration module, 2 workers x 4 threads by default), without the access log."""
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--config",
            "python:supportcenter.gunicorn_config",
            "supportcenter.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )


def page_getter(base: str, jar, expect: str = ""):  # type: ignore[no-untyped-def]
    """A factory of GET callers for `measure`: one cookie-sharing opener per thread."""

    def getter(path: str):  # type: ignore[no-untyped-def]
        def make() -> Callable[[], None]:
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

            def call() -> None:
                with opener.open(base + path, timeout=60) as response:
                    body = response.read().decode()
                    assert response.status == 200 and expect in body

            return call

        return make

    return getter


def api_user(account_id: str) -> str:
    """Seed-script lines: an enterprise account with an API user (`user`, the JSON that
    create_api_user prints) and a root user (`root`) whose password is bench-password-1."""
    return f"""
out = StringIO()
call_command("create_api_user", "--account-id", "{account_id}", "--plan", "enterprise", stdout=out)
user = json.loads(out.getvalue())
account = Account.objects.get(account_id="{account_id}")
root = account.users.get(kind="root")
root.set_password("bench-password-1")
root.save(update_fields=["password"])
"""


def scratch_env(data_dir: Path | None = None, **overrides: str) -> dict[str, str]:
    """The environment of a benchmark's own Support Center: a scratch data directory (or the
    given one), a random secret key, no demo tenant; `overrides` add SUPPORTCENTER_* settings."""
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="supportcenter-bench-"))
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "supportcenter.settings",
        "SUPPORTCENTER_DATA_DIR": str(data_dir),
        "SUPPORTCENTER_SECRET_KEY": secrets.token_urlsafe(40),
        "SUPPORTCENTER_DEMO": "0",
        **overrides,
    }


def run_json(env: dict[str, str], script: str) -> Any:
    """Run a Python script in the benchmark's environment; its last output line is JSON."""
    output = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def database_name(env: dict[str, str] | None = None) -> str:
    return "PostgreSQL" if (env or os.environ).get("DATABASE_URL") else "SQLite (WAL)"


def page_table(results: list[Result]) -> list[str]:
    return [
        "| page | server | requests | requests/s | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|",
        *[r.row() for r in results],
    ]


def publish(section: str, *, record: bool) -> None:
    """Print a result section and, unless told not to, append it to docs/benchmarks.md."""
    print(section)
    if record:
        docs = ROOT / "docs" / "benchmarks.md"
        if not docs.exists():
            docs.write_text("# Benchmarks\n\nRecorded runs of `bench/`; newest last.\n\n")
        with docs.open("a") as handle:
            handle.write(section + "\n")


@dataclass
class Result:
    name: str
    target: str
    calls: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.calls / self.seconds

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def row(self) -> str:
        return (
            f"| {self.name} | {self.target} | {self.calls} | {self.per_second:,.0f} | "
            f"{statistics.median(self.latencies) * 1000:.1f} | {self.quantile(0.95):.1f} |"
        )


def measure(
    name: str, target: str, calls: int, threads: int, make_call: Callable[[], Callable[[], None]]
) -> Result:
    """Run `calls` calls over `threads` threads; each thread builds its own client."""
    latencies: list[float] = []
    lock = threading.Lock()
    # At least one call a thread: a small --calls must still give every row its figures.
    per_thread = max(1, calls // threads)

    def worker() -> None:
        call = make_call()
        call()  # warm the connection and the client
        local = []
        for _ in range(per_thread):
            start = time.perf_counter()
            call()
            local.append(time.perf_counter() - start)
        with lock:
            latencies.extend(local)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(worker) for _ in range(threads)]:
            future.result()
    return Result(name, target, per_thread * threads, time.perf_counter() - started, latencies)


def support_client(endpoint: str, key: str, secret: str):
    return boto3.client(
        "support",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"mode": "standard", "max_attempts": 1}, max_pool_connections=4),
    )
