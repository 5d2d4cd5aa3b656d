"""API benchmark: CreateCase and DescribeCases throughput with many cases in the database, side by
side with moto's server doing the same calls in the same run, and a trivial Django view (no
database) as the ceiling of the web stack.

    python -m bench api [--cases 100000] [--calls 400] [--threads 4]

Starts gunicorn on the embedded defaults (SQLite in a scratch data directory, or DATABASE_URL if
set) and moto's server on loopback, drives both with real boto3 clients, and appends the results
to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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


def start_web(env: dict[str, str], port: int, workers: int = 2) -> subprocess.Popen:
    """gunicorn serving the app on loopback, as `make run` does."""
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
            "4",
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
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def database_name() -> str:
    return "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite (WAL)"


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
    per_thread = calls // threads

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


def seed(env: dict[str, str], cases: int) -> dict[str, str]:
    """Migrate a scratch database, create an API user and bulk-load `cases` cases into its
    account (with one communication each)."""
    subprocess.run([sys.executable, "manage.py", "bootstrap"], cwd=ROOT, env=env, check=True)
    script = f"""
import json, django
django.setup()
from datetime import timedelta
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from io import StringIO
from accounts.models import Account
from catalog.models import Severity
from catalog.models import Category, Service
from cases.models import Case, CaseSearch, Communication
from cases.search import prepare
from core import ids
from core.services import sequence_next
{api_user("999900001111")}
service = Service.objects.get(code="amazon-elastic-compute-cloud-linux")
category = Category.objects.get(service=service, code="instance-issue")
severity = Severity.objects.get(code="normal")
now = timezone.now()
batch = 5000
for offset in range(0, {cases}, batch):
    with transaction.atomic():
        rows = []
        for i in range(offset, min(offset + batch, {cases})):
            created = now - timedelta(seconds={cases} - i)
            rows.append(Case(account=account, case_id=ids.case_id_new(account.account_id, created),
                display_id=sequence_next("case-display-id", start=1_000_001), case_type="technical",
                service=service, category=category, severity=severity, subject=f"Seeded case {{i}}",
                submitted_by="bench@example.com", created_at=created, status_changed_at=created,
                first_response_due_at=created + timedelta(hours=12)))
        Case.objects.bulk_create(rows)
        stored = Case.objects.filter(account=account).order_by("-id")[: len(rows)]
        Communication.objects.bulk_create([
            Communication(case=c, communication_id=ids.communication_id_new(), body="Seeded body.",
                origin="customer", submitted_by="bench@example.com", created_at=c.created_at)
            for c in stored])
        CaseSearch.objects.bulk_create([
            CaseSearch(case=c, subject=prepare(c.subject), body="seeded body") for c in stored])
user["rootEmail"] = root.email
print(json.dumps(user))
"""
    return run_json(env, script)


CREATE = {
    "subject": "Benchmark case",
    "serviceCode": "amazon-elastic-compute-cloud-linux",
    "categoryCode": "instance-issue",
    "severityCode": "normal",
    "communicationBody": "Created by the benchmark.",
}


def support_client(endpoint: str, key: str, secret: str):
    return boto3.client(
        "support",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"mode": "standard", "max_attempts": 1}, max_pool_connections=4),
    )


def run(args: argparse.Namespace) -> list[Result]:
    env = scratch_env(SUPPORTCENTER_API_RATE_LIMIT="0", SUPPORTCENTER_CASE_CREATION_LIMIT="0")
    where = env.get("DATABASE_URL", env["SUPPORTCENTER_DATA_DIR"])
    print(f"Seeding {args.cases} cases in {where} ...", flush=True)
    user = seed(env, args.cases)
    port, moto_port = free_port(), free_port()
    web = start_web(env, port, args.workers)
    moto = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        ours = f"http://127.0.0.1:{port}"
        theirs = f"http://127.0.0.1:{moto_port}"
        wait_http(ours + "/livez")
        wait_http(theirs + "/moto-api/")
        key, secret = user["accessKeyId"], user["secretAccessKey"]
        results = []

        def ceiling():
            def call():
                with urllib.request.urlopen(ours + "/livez", timeout=10) as response:
                    response.read()

            return call

        results.append(
            measure(
                "trivial Django view (GET /livez)",
                "Support Center",
                args.calls,
                args.threads,
                ceiling,
            )
        )
        for target, endpoint, k, s in (
            ("Support Center", ours, key, secret),
            ("moto_server", theirs, "testing", "testing"),
        ):

            def create_call(endpoint=endpoint, k=k, s=s):
                client = support_client(endpoint, k, s)
                return lambda: client.create_case(**CREATE)

            def describe_call(endpoint=endpoint, k=k, s=s):
                client = support_client(endpoint, k, s)
                return lambda: client.describe_cases(maxResults=10)

            results.append(measure("CreateCase", target, args.calls, args.threads, create_call))
            results.append(
                measure(
                    "DescribeCases (maxResults 10)", target, args.calls, args.threads, describe_call
                )
            )
        return results
    finally:
        for process in (web, moto):
            process.terminate()
            process.wait(timeout=30)


def record(results: list[Result], args: argparse.Namespace) -> str:
    database = database_name()
    lines = [
        f"### AWS API throughput — {time.strftime('%Y-%m-%d')}",
        "",
        f"{args.cases:,} cases in the account's database ({database}); gunicorn with "
        f"{args.workers} workers x 4 threads; {args.threads} client threads, each with its own "
        "boto3 client; "
        f"{args.calls} calls per row after one warm-up call per thread. Machine: "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}. "
        "moto_server answers the same boto3 calls in the same run, without signature checks, "
        "validation or a database (in-memory dicts).",
        "",
        "| call | server | calls | calls/s | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|",
        *[r.row() for r in results],
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench api")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-record", action="store_true", help="Print, do not append to docs.")
    args = parser.parse_args(argv)
    results = run(args)
    publish(record(results, args), record=not args.no_record)
