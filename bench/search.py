"""Search benchmark: the console's search (words ranked by the full-text engine, and each kind of
identifier) and the customers' case list filtered by words, over many cases with text, through
gunicorn and signed-in users; the trivial /livez view is the stack's ceiling in the same run.

    python -m bench search [--cases 1000000] [--calls 200] [--data-dir DIR]

Cases are spread over 20 accounts; each has a four-word subject and a forty-word message drawn
from a vocabulary whose word frequencies fall off as in natural text (Zipf): the most common
word is in nearly every case (a stop word), a common one in about one in ten, a mid one in
one in a hundred, a rare one in a handful. Rows name the words' share of the cases.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from bench.common import (
    ROOT,
    database_name,
    free_port,
    measure,
    page_getter,
    page_table,
    publish,
    run_json,
    scratch_env,
    start_web,
    wait_http,
)
from bench.pages import signed_in_opener

PASSWORD = "bench-password-1"

SEED = """
import json, random, django
django.setup()
from datetime import timedelta
from django.db import transaction
from django.utils import timezone
from accounts.models import Account
from accounts.principals import SYSTEM
from accounts.services import account_create, engineer_create
from catalog.models import Category, Service, Severity, SupportPlan
from cases.models import Case, CaseSearch, Communication
from cases.services.severities import severity_fields
from cases.search import prepare
from core import ids
from core.services import sequence_next

random.seed(11)
plan = SupportPlan.objects.get(code="enterprise")
accounts = [
    account_create(account_id=f"99990000{{i:04d}}", name=f"Bench {{i}}", plan=plan,
                   root_email=f"bench{{i}}@example.com", root_password="{password}", actor=SYSTEM)
    for i in range(20)
]
engineer_create(email="bench-engineer@example.com", password="{password}", actor=SYSTEM)
service = Service.objects.get(code="amazon-elastic-compute-cloud-linux")
category = Category.objects.get(service=service, code="instance-issue")
severity = Severity.objects.get(code="normal")
# A Zipf vocabulary: word n (from 1) is drawn with weight 1/n.
size = 50000
vocabulary = [f"term{{n}}" for n in range(1, size + 1)]
cumulative, total = [], 0.0
for n in range(1, size + 1):
    total += 1.0 / n
    cumulative.append(total)
now = timezone.now()
statuses = ["unassigned", "work-in-progress", "opened", "resolved", "resolved", "resolved"]
count, batch = {cases}, 5000
for offset in range(0, count, batch):
    with transaction.atomic():
        rows, texts = [], []
        for i in range(offset, min(offset + batch, count)):
            created = now - timedelta(seconds=count - i)
            subject = " ".join(random.choices(vocabulary, cum_weights=cumulative, k=4))
            body = " ".join(random.choices(vocabulary, cum_weights=cumulative, k=40))
            texts.append((subject, body))
            status = statuses[i % len(statuses)]
            rows.append(Case(account=accounts[i % len(accounts)],
                case_id=ids.case_id_new(accounts[i % len(accounts)].account_id, created),
                display_id=sequence_next("case-display-id", start=1_000_001), case_type="technical",
                service=service, category=category, **severity_fields(severity), subject=subject,
                status=status, submitted_by=f"user{{i % 5000}}@example.com", created_at=created,
                status_changed_at=created, first_response_due_at=created + timedelta(hours=12)))
        Case.objects.bulk_create(rows)
        Communication.objects.bulk_create([
            Communication(case=case, communication_id=ids.communication_id_new(), body=body,
                origin="customer", submitted_by=case.submitted_by, created_at=case.created_at)
            for case, (_, body) in zip(rows, texts)])
        CaseSearch.objects.bulk_create([
            CaseSearch(case=case, subject=prepare(subject), body=prepare(body))
            for case, (subject, body) in zip(rows, texts)])
print("{{}}")
"""

# The identifiers the timed rows look up: the newest case's.
NEWEST = """
import json, django
django.setup()
from cases.models import Case
last = Case.objects.select_related("account").order_by("-id").first()
print(json.dumps({"case_id": last.case_id, "display_id": last.display_id,
    "account_id": last.account.account_id, "email": last.submitted_by,
    "root": last.account.users.get(kind="root").email}))
"""


def _share(env: dict[str, str], words: list[str]) -> dict[str, int]:
    """How many cases each word is in (counted once, before the timed runs)."""
    script = (
        "import json, django\ndjango.setup()\n"
        "from cases import search\nfrom cases.models import Case\n"
        "cases = Case.objects.all()\n"
        f"print(json.dumps({{w: search.matching(cases, w).count() for w in {words!r}}}))"
    )
    return run_json(env, script)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench search")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--data-dir", help="Reuse the data directory a run seeded (its --cases).")
    args = parser.parse_args(argv)
    env = scratch_env(
        Path(args.data_dir) if args.data_dir else None, SUPPORTCENTER_SIGNIN_FAILURE_LIMIT="1000"
    )
    load = "an earlier run"
    if not args.data_dir:
        subprocess.run([sys.executable, "manage.py", "bootstrap"], cwd=ROOT, env=env, check=True)
        started = time.perf_counter()
        print(f"Seeding {args.cases:,} cases with text ...", flush=True)
        run_json(env, SEED.format(cases=args.cases, password=PASSWORD))
        # What the daily database-optimize job does: planner statistics for the new rows.
        run_json(
            env,
            "import django; django.setup()\nfrom core.services import database_optimize\n"
            "database_optimize(); print('{}')",
        )
        load = f"{time.perf_counter() - started:,.0f} s"
        print(f"Seeded in {load}; data directory {env['SUPPORTCENTER_DATA_DIR']}", flush=True)
    seeded = run_json(env, NEWEST)
    stop, common, mid, rare = "term1", "term40", "term400", "term20000"
    share = _share(env, [stop, common, mid, rare, f"{common} {mid}"])
    port = free_port()
    web = start_web(env, port, workers=args.workers)
    base = f"http://127.0.0.1:{port}"

    def pct(words: str) -> str:
        return f"{share[words] / args.cases:.1%}"

    try:
        wait_http(base + "/livez")
        engineer = signed_in_opener(base, "bench-engineer@example.com", PASSWORD)
        customer = signed_in_opener(base, seeded["root"], PASSWORD)
        console = page_getter(base, engineer, "Search cases")
        customer_list = page_getter(base, customer, "")

        def search(q: str, **extra: str) -> str:
            return "/console/search/?" + urllib.parse.urlencode({"q": q, **extra})

        rows = [
            ("ceiling: /livez", customer_list, "/livez"),
            (f"words: a stop word ({pct(stop)} of cases)", console, search(stop)),
            (f"words: a common word ({pct(common)})", console, search(common)),
            (f"words: a mid word ({pct(mid)})", console, search(mid)),
            (f"words: a rare word ({pct(rare)})", console, search(rare)),
            (
                f"words: common and mid together ({pct(f'{common} {mid}')})",
                console,
                search(f"{common} {mid}"),
            ),
            ("words: a common word, page 10", console, search(common, page="10")),
            ("words: a prefix (term1234*, 11 words)", console, search("term1234*")),
            ("case id", console, search(seeded["case_id"])),
            ("display id", console, search(str(seeded["display_id"]))),
            (f"account id ({args.cases // 20:,} cases)", console, search(seeded["account_id"])),
            ("submitter email", console, search(seeded["email"])),
            ("customer's open cases, no words", customer_list, "/support/cases/"),
            (
                "customer's open cases, a common word",
                customer_list,
                "/support/cases/?" + urllib.parse.urlencode({"q": common}),
            ),
            (
                "customer's open cases, a mid word",
                customer_list,
                "/support/cases/?" + urllib.parse.urlencode({"q": mid}),
            ),
        ]
        results = [
            measure(name, "Support Center", args.calls, args.threads, getter(path))
            for name, getter, path in rows
        ]
    finally:
        web.terminate()
        web.wait(timeout=30)
    section = "\n".join(
        [
            f"### Search — {time.strftime('%Y-%m-%d')}",
            "",
            f"{args.cases:,} cases over 20 accounts ({database_name()}), each with a four-word "
            f"subject and a forty-word message from a Zipf vocabulary (loaded and indexed in "
            f"{load}); a signed-in engineer (console search) and customer "
            f"(case list); gunicorn with {args.workers} workers x 4 threads; {args.threads} "
            f"client threads; {args.calls} requests per row. Machine: {os.cpu_count()} cores, "
            f"Python {platform.python_version()}. Target: p95 at most 50 ms.",
            "",
            *page_table(results),
            "",
        ]
    )
    publish(section, record=not args.no_record)
