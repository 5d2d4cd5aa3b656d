"""Jobs benchmark: auto-resolve and purge over a million cases (time and peak memory), and the
engineers' queue page with a million cases in the database.

    python -m bench jobs [--cases 1000000] [--stale 20000] [--calls 100]
    python -m bench jobs --seed-only --cases 1000000 --stale 50000   # prints the directory
    python -m bench jobs --data-dir DIR --jobs-only [--profile] [--code-dir OLD --label before]

Cases are spread over the last 18 months (so about a third are past the 12-month retention, half
of those resolved); `--stale` of them wait for the customer for more than six days. Each job runs
in a process of its own, which reports its wall time, its CPU time (the database's own work is
in it on SQLite, in the server's processes on PostgreSQL), peak resident memory and the
machine's load average. The jobs change the data: give each run its own copy of a seeded
directory (on PostgreSQL, a database made with `createdb -T`). `--code-dir` runs the jobs from
another checkout (`git archive <commit> | tar -x -C OLD`) to compare with an earlier version.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import platform
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.common import (
    ROOT,
    database_name,
    free_port,
    measure,
    page_getter,
    page_table,
    publish,
    scratch_env,
    start_web,
    wait_http,
)
from bench.pages import signed_in_opener

SEED = """
import django, random
django.setup()
from datetime import timedelta
from django.db import transaction
from django.utils import timezone
from accounts.models import Account
from catalog.models import Severity, SupportPlan
from accounts.principals import SYSTEM
from accounts.services import account_create, engineer_create
from catalog.models import Category, Service
from cases.models import Case, CaseSearch, Communication
from cases.services.severities import severity_fields
from core import ids
from core.models import Sequence
from core.services import sequence_next
from django.db.models import F

random.seed(7)
plan = SupportPlan.objects.get(code="enterprise")
accounts = [
    account_create(account_id=f"9999000{{i:05d}}", name=f"Bench {{i}}", plan=plan,
                   root_email=f"bench{{i}}@example.com", root_password=None, actor=SYSTEM)
    for i in range(20)
]
engineer_create(email="bench-engineer@example.com", password="bench-password-1", actor=SYSTEM)
service = Service.objects.get(code="amazon-elastic-compute-cloud-linux")
category = Category.objects.get(service=service, code="instance-issue")
severities = list(Severity.objects.all())
statuses = ["unassigned", "work-in-progress", "opened", "resolved", "resolved", "resolved"]
now = timezone.now()
total, stale = {cases}, {stale}
batch = 5000
waiting_since = now - timedelta(days=7)
created_at = [now - timedelta(minutes=random.randrange(0, 548 * 24 * 60)) for _ in range(total)]
waiting = set(random.sample(range(total), stale))
for i in waiting:
    created_at[i] = min(created_at[i], waiting_since)
# Oldest first, as a real install's rows are: the primary key (and so the table's and most
# indexes' page order) follows creation time, which the jobs' batches walk.
order = sorted(range(total), key=created_at.__getitem__)
for offset in range(0, total, batch):
    with transaction.atomic():
        # The batch's display ids at once (case_create takes them one by one).
        last = sequence_next("case-display-id", start=1_000_001)
        Sequence.objects.filter(name="case-display-id").update(
            value=F("value") + min(batch, total - offset) - 1)
        rows = []
        for rank in range(offset, min(offset + batch, total)):
            i = order[rank]
            created = created_at[i]
            status = statuses[i % len(statuses)]
            changed = created
            if i in waiting:
                status = "pending-customer-action"
                changed = waiting_since
            answered = status != "unassigned"
            severity = severities[i % len(severities)]
            rows.append(Case(
                account=accounts[i % len(accounts)],
                case_id=ids.case_id_new("999900000000", created),
                display_id=last + rank - offset, case_type="technical",
                service=service, category=category, **severity_fields(severity),
                subject=f"Bench case {{i}}",
                status=status, submitted_by="bench@example.com", created_at=created,
                status_changed_at=changed, resolved_at=changed if status == "resolved" else None,
                first_response_due_at=created + timedelta(hours=4),
                first_responded_at=created + timedelta(hours=1) if answered else None,
                first_response_met=True if answered else None))
        Case.objects.bulk_create(rows, batch_size=1000)
        stored = list(Case.objects.order_by("-id").values_list("id", "created_at")[: len(rows)])
        Communication.objects.bulk_create([
            Communication(case_id=pk, communication_id=ids.communication_id_new(), body="Seeded.",
                          origin="customer", submitted_by="bench@example.com", created_at=created)
            for pk, created in stored], batch_size=1000)
        CaseSearch.objects.bulk_create([
            CaseSearch(case_id=pk, subject="bench case", body="seeded") for pk, _ in stored],
            batch_size=1000)
print("seeded")
"""

JOB = """
import cProfile, django, io, json, os, pstats, resource, time
django.setup()
from cases.services.maintenance import cases_auto_resolve, cases_purge
profiler = cProfile.Profile() if {profile} else None
usage = resource.getrusage(resource.RUSAGE_SELF)
before, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
load = os.getloadavg()[0]
start = time.perf_counter()
if profiler:
    profiler.enable()
count = {call}
if profiler:
    profiler.disable()
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
peak, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime - cpu
result = {{"count": count, "seconds": seconds, "peak_mb": peak / 1024, "start_mb": before / 1024,
          "load": [load, os.getloadavg()[0]], "cpu": cpu}}
if profiler:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(12)
    stats.sort_stats("cumulative").print_stats(25)
    result["profile"] = out.getvalue()
print(json.dumps(result))
"""


def run_job(env: dict[str, str], call: str, *, code: Path = ROOT, profile: bool = False) -> dict:
    """Run a job in a process of its own, from the checkout `code` (an earlier version's, to
    compare), and return its count, wall time, peak memory and the load average around it."""
    done = subprocess.run(
        [sys.executable, "-c", JOB.format(call=call, profile=profile)],
        cwd=code,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"{call} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if profile:
        print(result["profile"], flush=True)
    return result


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench jobs")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--stale", type=int, default=20_000)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--data-dir", help="Reuse a data directory seeded by an earlier run.")
    parser.add_argument("--skip-jobs", action="store_true", help="Only measure the queue pages.")
    parser.add_argument("--seed-only", action="store_true", help="Seed a data directory and stop.")
    parser.add_argument("--jobs-only", action="store_true", help="Skip the queue pages.")
    parser.add_argument(
        "--code-dir",
        type=Path,
        default=ROOT,
        help="Run the jobs from this checkout (e.g. `git archive` of an earlier commit).",
    )
    parser.add_argument("--label", default="", help="Said in the record (e.g. 'before').")
    parser.add_argument(
        "--profile", action="store_true", help="Run the jobs under cProfile and print it."
    )
    args = parser.parse_args(argv)
    env = scratch_env(
        Path(args.data_dir) if args.data_dir else None,
        SUPPORTCENTER_EMAIL_BACKEND="console",
        SUPPORTCENTER_SIGNIN_FAILURE_LIMIT="1000",
    )
    if not args.data_dir:
        subprocess.run([sys.executable, "manage.py", "bootstrap"], cwd=ROOT, env=env, check=True)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", SEED.format(cases=args.cases, stale=args.stale)],
            cwd=ROOT,
            env=env,
            check=True,
        )
        print(f"seeded {args.cases:,} cases in {time.perf_counter() - started:.0f} s", flush=True)
        if args.seed_only:
            print(f"data directory: {env['SUPPORTCENTER_DATA_DIR']}")
            return
    # What the daily database-optimize job does: planner statistics for the new rows.
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from core.services import database_optimize; database_optimize()",
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    page_rows = [] if args.jobs_only else queue_pages(env, args)
    if args.skip_jobs:
        print("\n".join(r.row() for r in page_rows))
        return
    code = args.code_dir.resolve()
    resolve = run_job(env, "cases_auto_resolve()", code=code, profile=args.profile)
    resolve_again = run_job(env, "cases_auto_resolve()", code=code)
    purge = run_job(env, "cases_purge()", code=code, profile=args.profile)
    purge_again = run_job(env, "cases_purge()", code=code)
    database = database_name()

    def job_row(name: str, result: dict) -> str:
        return (
            f"| {name} | {result['count']:,} | {result['seconds']:.1f} | {result['cpu']:.1f} | "
            f"{result['peak_mb']:.0f} (process start {result['start_mb']:.0f}) | "
            f"{result['load'][0]:.2f} / {result['load'][1]:.2f} |"
        )

    label = f" ({args.label})" if args.label else ""
    section = "\n".join(
        [
            f"### Jobs{'' if args.jobs_only else ' and the engineers queue'}{label} — "
            f"{time.strftime('%Y-%m-%d')}",
            "",
            f"{args.cases:,} cases over 18 months in 20 accounts ({database}), {args.stale:,} of "
            "them waiting for the customer for 7 days; one communication each. Machine: "
            f"{os.cpu_count()} cores, Python {platform.python_version()}"
            + (" (profiled: times include cProfile's overhead)" if args.profile else "")
            + ".",
            "",
            "| job | cases | seconds | CPU seconds (job's process) | peak memory MB "
            "| load average (1 min) at start / end |",
            "|---|---|---|---|---|---|",
            job_row("auto-resolve", resolve),
            job_row("auto-resolve, run again", resolve_again),
            job_row("purge (older than 12 months)", purge),
            job_row("purge, run again", purge_again),
            "",
            *(
                [
                    f"Engineers' queue with {args.cases:,} cases (signed-in engineer, gunicorn 2 "
                    f"workers x 4 threads, {args.threads} client threads):",
                    "",
                    *page_table(page_rows),
                    "",
                ]
                if page_rows
                else []
            ),
        ]
    )
    publish(section, record=not args.no_record)


def queue_pages(env: dict[str, str], args: argparse.Namespace) -> list:
    """The engineers' queue pages, timed over HTTP."""
    port = free_port()
    web = start_web(env, port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/livez")
        jar = signed_in_opener(base, "bench-engineer@example.com", "bench-password-1")

        getter = page_getter(base, jar, "Case queue")

        # Keyset pages: follow "Next" up to 100 pages deep to measure a deep page too.
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        path, depth = "/console/", 0
        for depth in range(1, 101):  # noqa: B007 (depth is reported below)
            page = opener.open(base + path, timeout=60).read().decode()
            found = re.search(r'href="(\?[^"]*cursor=[^"]+)" rel="next"', page)
            if found is None:
                break
            path = "/console/" + html.unescape(found.group(1))
        return [
            measure(
                "queue, first page", "Support Center", args.calls, args.threads, getter("/console/")
            ),
            measure(
                f"queue, {depth} pages deep",
                "Support Center",
                args.calls,
                args.threads,
                getter(path),
            ),
            measure(
                "queue, breached filter",
                "Support Center",
                args.calls,
                args.threads,
                getter("/console/?breached=on"),
            ),
        ]
    finally:
        web.terminate()
        web.wait(timeout=30)
