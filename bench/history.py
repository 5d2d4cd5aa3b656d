"""Event-history benchmark: the console's CloudTrail lookup with a million audit records.

python -m bench history [--records 1000000] [--calls 200]
"""

from __future__ import annotations

import argparse
import html
import os
import platform
import re
import subprocess
import sys
import time
import urllib.request

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
import django, random, uuid
django.setup()
from datetime import timedelta
from django.db import transaction
from django.utils import timezone
from catalog.models import SupportPlan
from accounts.principals import SYSTEM
from accounts.services import account_create
from audit.models import AuditEvent
from core.services import database_optimize

random.seed(3)
plan = SupportPlan.objects.get(code="business")
accounts = [account_create(account_id=f"88880000{{i:04d}}", name=f"History {{i}}", plan=plan,
            root_email=f"history{{i}}@example.com", root_password="bench-password-1", actor=SYSTEM)
            for i in range(10)]
names = ["DescribeCases", "CreateCase", "AddCommunicationToCase", "ResolveCase", "DescribeServices"]
users = [f"user{{i}}" for i in range(50)]
now = timezone.now()
total = {records}
for offset in range(0, total, 10000):
    with transaction.atomic():
        AuditEvent.objects.bulk_create([
            AuditEvent(event_id=uuid.uuid4(),
                       event_time=now - timedelta(seconds=random.randrange(0, 89 * 86400)),
                       event_source="support.amazonaws.com", event_name=names[i % 5],
                       event_type="AwsApiCall", aws_region="us-east-1",
                       recipient_account_id=accounts[(i // 7) % 10].account_id,
                       user_name=users[i % 50],
                       access_key_id="ASCKAAAAAAAAAAAAAAAA", read_only=i % 5 in (0, 4),
                       user_identity={{"type": "IAMUser", "userName": users[i % 50]}},
                       request_parameters={{"caseId": f"case-{{i}}"}},
                       resource_type="AWS::Support::Case", resource_name=f"case-{{i}}")
            for i in range(offset, min(offset + 10000, total))], batch_size=2000)
database_optimize()
print("seeded")
"""


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench history")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    env = scratch_env(SUPPORTCENTER_SIGNIN_FAILURE_LIMIT="1000")
    subprocess.run([sys.executable, "manage.py", "bootstrap"], cwd=ROOT, env=env, check=True)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", SEED.format(records=args.records)], cwd=ROOT, env=env, check=True
    )
    print(f"seeded {args.records:,} records in {time.perf_counter() - started:.0f} s", flush=True)
    port = free_port()
    web = start_web(env, port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/livez")
        jar = signed_in_opener(base, "history0@example.com", "bench-password-1")
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        # Follow "Older events" up to 100 pages deep, to measure a deep page too.
        path, depth = "/cloudtrail/", 0
        for depth in range(1, 101):  # noqa: B007 (depth is reported below)
            page = opener.open(base + path, timeout=60).read().decode()
            found = re.search(r'href="(\?[^"]*cursor=[^"]+)" rel="next"', page)
            if found is None:
                break
            path = "/cloudtrail/" + html.unescape(found.group(1))

        getter = page_getter(base, jar, "")

        rows = [
            ("event history, newest", "/cloudtrail/"),
            (f"event history, {depth} pages deep", path),
            (
                "event history, EventName=CreateCase",
                "/cloudtrail/?attribute=EventName&value=CreateCase",
            ),
            ("event history, Username=user7", "/cloudtrail/?attribute=Username&value=user7"),
            (
                "event history, ResourceName",
                "/cloudtrail/?attribute=ResourceName&value=case-500000",
            ),
        ]
        results = [
            measure(name, "Support Center", args.calls, args.threads, getter(target))
            for name, target in rows
        ]
    finally:
        web.terminate()
        web.wait(timeout=30)
    database = database_name()
    section = "\n".join(
        [
            f"### Event history — {time.strftime('%Y-%m-%d')}",
            "",
            f"{args.records:,} audit records over 89 days in 10 accounts ({database}); a signed-in "
            f"root user; gunicorn 2 workers x 4 threads; {args.threads} client threads. Machine: "
            f"{os.cpu_count()} cores, Python {platform.python_version()}. Every page is three "
            "queries (session, user, one keyset page), asserted in tests/audit/test_history.py.",
            "",
            *page_table(results),
            "",
        ]
    )
    publish(section, record=not args.no_record)
