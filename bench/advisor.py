"""Trusted Advisor benchmark: the five operations and the console pages with a long history, and
how long a full refresh of every check takes against the moto sample environment in its two
regions (us-east-1, eu-west-1).

    python -m bench advisor [--resources 5000] [--history 52] [--calls 200] [--threads 4]

Seeds one enterprise account with `--history` weekly results of every check (the latest result
of one check carrying `--resources` rows), then drives boto3 and signed-in page requests
against gunicorn, and refreshes every check once against a seeded moto server (the worker's
whole run per check: claim, AWS calls in both regions, the stored result and its events).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time

from bench.common import (
    ROOT,
    Result,
    api_user,
    database_name,
    free_port,
    measure,
    page_getter,
    publish,
    run_json,
    scratch_env,
    start_web,
    support_client,
    wait_http,
)
from bench.pages import signed_in_opener

BIG_CHECK = "HCP4007jGY"
ACCOUNT_ID = "999900002222"

SEED = """
import json, django
django.setup()
from datetime import timedelta
from io import StringIO
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from accounts.models import Account
from advisor import services as advisor
from advisor.checks import REGISTRY
from advisor.models import CheckResource, CheckResult, CheckState
from core.services import database_optimize

{api_user}
now = timezone.now()
with transaction.atomic():
    for spec in REGISTRY.values():
        state = CheckState.objects.create(account=account, check_id=spec.id,
                                          refresh_status="success")
        latest = None
        for week in range({history}, -1, -1):
            latest = CheckResult.objects.create(
                account=account, check_id=spec.id, status="warning",
                computed_at=now - timedelta(days=7 * week), resources_processed=10,
                resources_flagged=week % 7, resources_listed=10)
        rows = {resources} if spec.id == "{big}" else 10
        width = len(spec.metadata)
        CheckResource.objects.bulk_create([
            CheckResource(result=latest, resource_id=advisor.resource_id_for(spec.id, f"r{{i}}"),
                          arn=f"arn:aws:ec2:us-east-1:123456789012:thing/r{{i}}",
                          region="us-east-1", status="warning" if i % 3 else "ok",
                          metadata=[f"value {{i}}"] * width, position=i)
            for i in range(rows)], batch_size=2000)
        state.latest_result = latest
        state.save(update_fields=["latest_result"])
database_optimize()
user["checks"] = list(REGISTRY)
user["rootEmail"] = root.email
print(json.dumps(user))
"""

FULL_REFRESH = """
import json, os, time, django
django.setup()
from django.conf import settings
from django.utils import timezone
from accounts.models import Account
from accounts.principals import SYSTEM
from advisor.checks import REGISTRY
from advisor.models import CheckState, RefreshStatus
from advisor.services import advisor_check_run
from connections import sample
from connections import services as connections

server, url = sample.start_server()
started = time.perf_counter()
sample.seed(url)
seeded = time.perf_counter() - started
settings.ADVISOR_SAMPLE_ENABLED = True
settings.ADVISOR_SAMPLE_ENDPOINT = url
account = Account.objects.get(account_id="{account_id}")
connections.aws_connection_set(account=account, actor=SYSTEM, mode="sample",
                               regions=list(sample.SAMPLE_REGIONS))
# Every check requested at once (as "Refresh all" or the weekly refresh does), then run one
# after the other by one worker: the worker's whole path, from the claim through the AWS calls
# in both regions to the stored result and its item events.
CheckState.objects.filter(account=account).update(
    refresh_status=RefreshStatus.ENQUEUED, refresh_requested_at=timezone.now())
load_before = os.getloadavg()
timings = []
started = time.perf_counter()
for spec in REGISTRY.values():
    state = CheckState.objects.get(account=account, check_id=spec.id)
    began = time.perf_counter()
    advisor_check_run(state_pk=state.pk)
    took = time.perf_counter() - began
    state = CheckState.objects.select_related("latest_result").get(pk=state.pk)
    rows = state.latest_result.resources_listed if state.refresh_status == "success" else 0
    timings.append([spec.id, str(spec.name), took, rows, state.refresh_status])
total = time.perf_counter() - started
load_after = os.getloadavg()
server.stop()
print(json.dumps({{"seed": seeded, "total": total, "checks": timings,
                  "regions": list(sample.SAMPLE_REGIONS),
                  "load": [load_before, load_after]}}))
"""


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench advisor")
    parser.add_argument("--resources", type=int, default=5000)
    parser.add_argument("--history", type=int, default=52)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    env = scratch_env(
        SUPPORTCENTER_API_RATE_LIMIT="0",
        SUPPORTCENTER_SIGNIN_FAILURE_LIMIT="1000",
        MOTO_EC2_LOAD_DEFAULT_AMIS="false",
    )
    subprocess.run([sys.executable, "manage.py", "bootstrap"], cwd=ROOT, env=env, check=True)
    seed = SEED.format(
        api_user=api_user(ACCOUNT_ID),
        history=args.history,
        resources=args.resources,
        big=BIG_CHECK,
    )
    user = run_json(env, seed)
    port = free_port()
    web = start_web(env, port)
    base = f"http://127.0.0.1:{port}"
    results: list[Result] = []
    try:
        wait_http(base + "/livez")

        def api(call_name: str, **params: object):  # type: ignore[no-untyped-def]
            def make():  # type: ignore[no-untyped-def]
                client = support_client(base, user["accessKeyId"], user["secretAccessKey"])
                return lambda: getattr(client, call_name)(**params)

            return make

        calls = [
            ("DescribeTrustedAdvisorChecks", api("describe_trusted_advisor_checks", language="en")),
            (
                f"DescribeTrustedAdvisorCheckSummaries ({len(user['checks'])} checks)",
                api("describe_trusted_advisor_check_summaries", checkIds=user["checks"]),
            ),
            (
                f"DescribeTrustedAdvisorCheckResult ({args.resources:,} resources)",
                api("describe_trusted_advisor_check_result", checkId=BIG_CHECK),
            ),
            (
                "DescribeTrustedAdvisorCheckRefreshStatuses",
                api("describe_trusted_advisor_check_refresh_statuses", checkIds=user["checks"]),
            ),
        ]
        for name, make in calls:
            results.append(measure(name, "Support Center", args.calls, args.threads, make))
        jar = signed_in_opener(base, user["rootEmail"], "bench-password-1")
        getter = page_getter(base, jar, "")
        for name, path in (
            ("dashboard", "/trusted-advisor/"),
            (
                f"check page ({args.resources:,} resources, page 1)",
                f"/trusted-advisor/checks/{BIG_CHECK}/",
            ),
            ("check CSV download", f"/trusted-advisor/checks/{BIG_CHECK}/download.csv"),
        ):
            results.append(
                measure(name, "Support Center", args.calls // 4, args.threads, getter(path))
            )
    finally:
        web.terminate()
        web.wait(timeout=30)
    timings = run_json(env, FULL_REFRESH.format(account_id=ACCOUNT_ID))
    publish(record(results, timings, args), record=not args.no_record)


def record(results: list[Result], timings: dict, args: argparse.Namespace) -> str:
    lines = [
        f"### Trusted Advisor — {time.strftime('%Y-%m-%d')}",
        "",
        f"One enterprise account with {args.history + 1} weekly results of every check "
        f"({database_name()}); the latest result of {BIG_CHECK} has {args.resources:,} "
        f"resources. gunicorn 2 workers x 4 threads; {args.threads} client threads. Machine: "
        f"{os.cpu_count()} cores, Python {platform.python_version()}.",
        "",
        "| call or page | server | requests | requests/s | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|",
        *[r.row() for r in results],
        "",
        f"A full refresh of every check ({len(timings['checks'])}) against the moto sample "
        f"environment in {' and '.join(timings['regions'])} (seeded in {timings['seed']:.1f} s): "
        f"every check enqueued at once, then run one after the other by one worker, each from "
        f"its claim through the AWS calls (moto's server on loopback) to its stored result and "
        f"item events: **{timings['total']:.1f} s** in all"
        f"{_abandoned(timings['checks'])}. Load average (1/5/15 min) before and after: "
        f"{_load(timings['load'][0])} → {_load(timings['load'][1])}.",
        "",
        "| check | name | seconds | rows | outcome |",
        "|---|---|---|---|---|",
        *[f"| {c[0]} | {c[1]} | {c[2]:.2f} | {c[3]} | {c[4]} |" for c in timings["checks"]],
        "",
    ]
    return "\n".join(lines)


def _load(values: list[float]) -> str:
    return "/".join(f"{v:.2f}" for v in values)


def _abandoned(checks: list[list]) -> str:
    failed = [c[0] for c in checks if c[4] != "success"]
    return f" ({len(failed)} not successful: {', '.join(failed)})" if failed else ""


if __name__ == "__main__":
    main(sys.argv[1:])
