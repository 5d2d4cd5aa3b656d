"""Engineers' notifications benchmark: the console inbox (first page, a deep page by Next links,
the unread view) and the header's unread counter, with many cases and a full inbox, through
gunicorn and a signed-in engineer; the trivial /livez view is the stack's ceiling in the same
run.

    python -m bench notifications [--cases 1000000] [--items 200000] [--calls 200] [--data-dir DIR]

Every case gets a "new case" item in the engineer's inbox up to `--items` (the newest cases);
one in ten is unread.
"""

from __future__ import annotations

import argparse
import html
import os
import platform
import re
import time
import urllib.request
from pathlib import Path

from bench.common import (
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
from bench.seeding import seed

PASSWORD = "bench-password-1"

INBOX = """
import json, django
django.setup()
from django.db import transaction
from accounts.principals import SYSTEM
from accounts.services import engineer_create
from cases.models import Case
from notifications.models import InboxItem
from accounts.models import User
# The search benchmark's data directory has this engineer already (see --inbox).
engineer = User.objects.filter(email="bench-engineer@example.com").first() or engineer_create(
    email="bench-engineer@example.com", password="{password}", actor=SYSTEM)
engineer.inbox_items.all().delete()
cases = Case.objects.order_by("-id").values_list("case_id", "display_id", "created_at")[:{items}]
batch = []
for n, (case_id, display_id, created) in enumerate(cases.iterator(chunk_size=5000)):
    batch.append(InboxItem(recipient=engineer, kind="new-case", topic=case_id,
        title=f"{{display_id}}: Seeded case", url=f"/console/cases/{{case_id}}/",
        dedupe_key=f"new-case:{{case_id}}", created_at=created,
        read_at=None if n % 10 == 0 else created))
    if len(batch) == 5000:
        with transaction.atomic():
            InboxItem.objects.bulk_create(batch)
        batch = []
InboxItem.objects.bulk_create(batch)
print("{{}}")
"""

COUNT = """
import json, django
django.setup()
from notifications.models import InboxItem
print(json.dumps({"items": InboxItem.objects.count()}))
"""


def _deep(opener, base: str, start: str, pages: int) -> tuple[str, int]:
    """Follow the list's Next link up to `pages` times; the last page reached and its depth."""
    path, depth = start, 1
    for depth in range(1, pages + 1):  # noqa: B007 (depth is reported)
        page = opener.open(base + path, timeout=60).read().decode()
        found = re.search(r'href="(\?[^"]*cursor=[^"]+)" rel="next"', page)
        if found is None:
            break
        path = start.split("?")[0] + html.unescape(found.group(1))
    return path, depth


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench notifications")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--data-dir", help="Reuse the data directory a run seeded (its --cases).")
    parser.add_argument("--seed-only", action="store_true", help="Seed, print the directory, stop.")
    parser.add_argument(
        "--inbox",
        action="store_true",
        help="With --data-dir: fill the engineer's inbox there first (e.g. bench search's cases).",
    )
    args = parser.parse_args(argv)
    env = scratch_env(
        Path(args.data_dir) if args.data_dir else None, SUPPORTCENTER_SIGNIN_FAILURE_LIMIT="1000"
    )
    load = "an earlier run"
    if not args.data_dir:
        started = time.perf_counter()
        print(f"Seeding {args.cases:,} cases ...", flush=True)
        seed(env, args.cases)
        run_json(env, INBOX.format(password=PASSWORD, items=args.items))
        load = f"{time.perf_counter() - started:,.0f} s"
        print(f"Seeded in {load}; data directory {env['SUPPORTCENTER_DATA_DIR']}", flush=True)
        if args.seed_only:
            return
    elif args.inbox:
        run_json(env, INBOX.format(password=PASSWORD, items=args.items))
    inbox = run_json(env, COUNT)
    port = free_port()
    web = start_web(env, port, workers=args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/livez")
        jar = signed_in_opener(base, "bench-engineer@example.com", PASSWORD)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        deep, depth = _deep(opener, base, "/console/notifications/", 100)
        deep_unread, unread_depth = _deep(opener, base, "/console/notifications/?show=unread", 30)
        getter = page_getter(base, jar, "")
        rows = [
            ("ceiling: /livez", "/livez"),
            ("inbox, first page", "/console/notifications/"),
            (f"inbox, page {depth:,} (Next links)", deep),
            ("inbox, unread only", "/console/notifications/?show=unread"),
            (f"inbox, unread only, page {unread_depth:,}", deep_unread),
            ("header's unread counter (htmx)", "/console/notifications/count/"),
        ]
        results = [
            measure(name, "Support Center", args.calls, args.threads, getter(path))
            for name, path in rows
        ]
    finally:
        web.terminate()
        web.wait(timeout=30)
    section = "\n".join(
        [
            f"### Engineers' notifications — {time.strftime('%Y-%m-%d')}",
            "",
            f"{args.cases:,} cases ({database_name()}); {inbox['items']:,} items in one "
            f"engineer's inbox, one in ten unread (loaded in {load}); a signed-in "
            f"engineer; gunicorn with {args.workers} workers x 4 threads; {args.threads} client "
            f"threads; {args.calls} requests per row. Machine: {os.cpu_count()} cores, Python "
            f"{platform.python_version()}. Target: p95 at most 50 ms.",
            "",
            *page_table(results),
            "",
        ]
    )
    publish(section, record=not args.no_record)
