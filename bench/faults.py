"""Load and faults: Support Center under many clients, with its worker killed, its database
crashed and its mail server away, on the embedded defaults and on PostgreSQL + Redis.

    python -m bench faults [--databases sqlite,postgres] [--clients 100] [--duration 60]
                           [--smtp-outage 300] [--db-outage 15] [--retries 5] [--no-record]

For each database the run starts its own processes (a throwaway PostgreSQL cluster and Redis for
the production path, as .ci/run does; an SMTP server that counts what it receives, aiosmtpd; the
moto sample environment; gunicorn, a Celery worker and Celery beat as `make run` does) and goes
through:

1. **Load.** `--clients` concurrent clients for `--duration` seconds: three in four are boto3
   clients (one access key each, standard retry mode; CreateCase 20 %, AddCommunicationToCase
   30 %, DescribeCases 50 %), one in four a signed-in customer reading the case list and cases.
   Nothing else happens: every call must succeed (ThrottlingException answers, which boto3
   retries, are counted apart) and no process may log "database is locked".
2. **Faults under load.** The same load again for `--duration` seconds, during which:
   the worker is killed with SIGKILL (its whole process group) right after the SMTP server
   accepted a message (the worst moment for an outbox) and started again 2 s later; every
   Trusted Advisor check of one account is refreshed through the API and the worker is killed
   again as soon as a run is processing (on the embedded broker the runs may wait behind the
   load's emails until after the load); PostgreSQL is stopped as in a crash (`pg_ctl -m
   immediate`) and started again after `--db-outage` seconds (PostgreSQL runs only); and the
   SMTP server stops halfway through, for `--smtp-outage` seconds (the load stops on time, the
   outage runs its course).
3. **Recovery.** Wait until every email is sent and every refresh has ended (at most
   `--max-wait` seconds after SMTP is back), then count: rows against acknowledged calls (each
   write carries a token), messages the SMTP server received per notification (Message-ID), and
   the refreshes' final states; and grep every process's log.

The figures are appended to docs/benchmarks.md (bench.common.publish) unless --no-record.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from bench.common import ROOT, publish, run_json, scratch_env
from bench.faults_load import ApiClient, Load, PageClient, Tally, support_client
from bench.faults_record import Run, record
from bench.faults_stack import Postgres, Redis, Smtp, Stack
from bench.pages import signed_in_opener

PASSWORD = "bench-password-1"
FINAL = {"success", "abandoned"}
ADVISOR_ACCOUNT = "999900100000"

SEED = """
import json, django
django.setup()
from io import StringIO
from django.core.management import call_command
from accounts.models import Account
from accounts.principals import SYSTEM
from connections.services import aws_connection_set
accounts, users = {accounts}, []
for a in range(accounts):
    account_id = str({first} + a)
    for u in range({per_account}):
        out = StringIO()
        call_command("create_api_user", "--account-id", account_id, "--plan", "enterprise",
                     "--user", f"api-{{u}}", stdout=out)
        users.append(json.loads(out.getvalue()))
    account = Account.objects.get(account_id=account_id)
    Account.objects.filter(pk=account.pk).update(contact_email=f"ops+{{account_id}}@example.com")
    root = account.users.get(kind="root")
    root.set_password("{password}")
    root.save(update_fields=["password"])
    users[-1]["rootEmail"] = root.email
    if a == 0:
        aws_connection_set(account=account, actor=SYSTEM, mode="sample",
                           regions=["us-east-1", "eu-west-1"])
print(json.dumps(users))
"""

STATE = """
import json, django
django.setup()
from django.db.models import Count
from advisor.models import CheckState
from cases.models import Case, Communication
from notifications.models import Notification
out = {"notifications": {str(k): s for k, s in Notification.objects.values_list("id", "status")},
       "advisor": list(CheckState.objects.filter(account__account_id="ACCOUNT")
                       .values_list("refresh_status", "refresh_error"))}
if ROWS:
    out["cases"] = dict(Case.objects.filter(subject__startswith="faults ").values("subject")
                        .annotate(n=Count("id")).values_list("subject", "n"))
    out["messages"] = dict(Communication.objects.filter(body__startswith="faults reply ")
                           .values("body").annotate(n=Count("id")).values_list("body", "n"))
print(json.dumps(out))
"""


def _state(env: dict[str, str], rows: bool = False) -> dict[str, Any]:
    script = STATE.replace("ACCOUNT", ADVISOR_ACCOUNT).replace("ROWS", str(rows))
    return run_json(env, script)


def _clients(base: str, users: list[dict], count: int, tally: Tally, retries: int) -> list:
    """Three API clients in four, the rest signed-in customers (one session per account)."""
    jars: dict[str, Any] = {}
    roots = {u["accountId"]: u["rootEmail"] for u in users if "rootEmail" in u}
    clients: list[Any] = []
    for number in range(count):
        user = users[number % len(users)]
        if number % 4 == 3:
            account = user["accountId"]
            if account not in jars:
                jars[account] = signed_in_opener(base, roots[account], PASSWORD)
            clients.append(PageClient(number, base, jars[account], tally))
        else:
            clients.append(ApiClient(number, base, user, tally, retries))
    return clients


def _advisor_kill(stack: Stack, base: str, user: dict, run: Run, deadline: float) -> None:
    """Refresh every check; SIGKILL the worker as soon as a run is processing (runs may queue
    behind the load's emails for a while). A quick check may finish in the instant before the
    kill: the states read while no worker runs tell, and the next processing run gets the next
    kill (at most five). The worker starts again 2 s after each kill."""
    client = support_client(base, user, 5)

    def call(method: str, **params: Any) -> dict:
        # The harness's own calls ride out the database restart that may come meanwhile.
        while True:
            try:
                return getattr(client, method)(**params)
            except ClientError as error:
                if error.response["Error"]["Code"] != "ServiceUnavailableException":
                    raise
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)

    def states() -> Counter:
        statuses = call("describe_trusted_advisor_check_refresh_statuses", checkIds=checks)
        return Counter(s["status"] for s in statuses["statuses"])

    listed = call("describe_trusted_advisor_checks", language="en")["checks"]
    checks = [c["id"] for c in listed]
    for check in checks:
        call("refresh_trusted_advisor_check", checkId=check)
    requested = time.monotonic()
    figures = run.figures["advisor"] = {"refreshes": len(checks), "kills": 0}
    while time.monotonic() < deadline and figures["kills"] < 5:
        if not states()["processing"]:
            time.sleep(0.05)
            continue
        killed = time.monotonic()
        # Read while no worker is alive: a run still processing is one the kill interrupted.
        at_kill = stack.kill_worker(while_down=states)
        figures.update(
            kills=figures["kills"] + 1,
            at_kill=dict(at_kill),
            killed_after_request=killed - requested,
            killed=killed,
        )
        if at_kill["processing"]:
            return


class Background(threading.Thread):
    """A fault that waits for its moment while the others go on."""

    def __init__(self, target, *args) -> None:  # type: ignore[no-untyped-def]
        super().__init__(daemon=True)
        self.call = (target, args)
        self.error: BaseException | None = None

    def run(self) -> None:
        target, args = self.call
        try:
            target(*args)
        except BaseException as error:  # re-raised by finish()
            self.error = error

    def finish(self, timeout: float) -> None:
        self.join(timeout)
        if self.error is not None:
            raise self.error


def _email_kill(stack: Stack, smtp: Smtp, run: Run) -> None:
    """SIGKILL the worker right after the SMTP server accepted a message."""
    deadline = time.monotonic() + 60
    while not smtp.sending(0.05) and time.monotonic() < deadline:
        time.sleep(0.005)
    run.figures["email_kill"] = {
        "right_after_a_message": smtp.sending(0.05),
        "received_before": sum(smtp.counts().values()),
    }
    killed = time.monotonic()
    stack.kill_worker()
    run.windows.append(("worker killed while sending email", killed, time.monotonic()))


def _faults(
    stack: Stack,
    smtp: Smtp,
    pg: Postgres | None,
    load: Load,
    advisor: tuple[str, dict],
    args: argparse.Namespace,
    run: Run,
) -> tuple[float, Background]:
    """The faults, while `load` runs; returns when the SMTP outage began, and the Trusted
    Advisor fault (which may still wait for a run to start)."""
    started = time.monotonic()

    def at(share: float) -> None:
        time.sleep(max(0.0, started + args.duration * share - time.monotonic()))

    load.start()
    at(0.1)
    _email_kill(stack, smtp, run)
    at(0.2)
    deadline = time.monotonic() + args.max_wait
    advisor_kill = Background(_advisor_kill, stack, *advisor, run, deadline)
    advisor_kill.start()
    if pg is not None:
        at(0.35)
        down = time.monotonic()
        pg.stop("immediate")
        time.sleep(args.db_outage)
        pg.start()
        run.windows.append(("PostgreSQL down", down, time.monotonic()))
    at(0.5)
    smtp.stop()
    smtp_down = time.monotonic()
    at(1.0)
    load.stop()
    run.seconds["faults"] = time.monotonic() - started
    return smtp_down, advisor_kill


def _recover(
    env: dict[str, str],
    smtp: Smtp,
    smtp_down: float,
    advisor_kill: Background,
    args: argparse.Namespace,
    run: Run,
) -> dict:
    time.sleep(max(0.0, smtp_down + args.smtp_outage - time.monotonic()))
    waiting = _state(env)["notifications"]
    smtp.start()
    smtp_up = time.monotonic()
    run.windows.append(("SMTP server stopped", smtp_down, smtp_up))
    run.figures["smtp"] = {
        "outage": smtp_up - smtp_down,
        "unsent_at_restart": sum(1 for s in waiting.values() if s != "sent"),
    }
    print(f"  SMTP back after {smtp_up - smtp_down:.0f} s; waiting for recovery ...", flush=True)
    emails_done = advisor_done = None
    while True:
        state = _state(env)
        statuses = Counter(state["notifications"].values())
        received = smtp.counts()
        missing = sum(1 for k in state["notifications"] if received[k] == 0)
        advisor = Counter(s for s, _e in state["advisor"])
        now = time.monotonic()
        if emails_done is None and not missing and set(statuses) <= {"sent"}:
            emails_done = now
        # The Trusted Advisor fault may still be waiting for a run to start.
        if advisor_done is None and not advisor_kill.is_alive() and set(advisor) <= FINAL:
            advisor_done = now
        print(
            f"  +{now - smtp_up:.0f} s: notifications {dict(statuses)}, {missing} not received; "
            f"refreshes {dict(advisor)}",
            flush=True,
        )
        if (emails_done and advisor_done) or now > smtp_up + args.max_wait:
            break
        time.sleep(10)
    advisor_kill.finish(0)
    run.figures["smtp"]["all_delivered_after"] = emails_done - smtp_up if emails_done else None
    if advisor_done and "killed" in run.figures["advisor"]:
        run.figures["advisor"]["all_final_after_kill"] = (
            advisor_done - run.figures["advisor"]["killed"]
        )
    return _state(env, rows=True)


def _count(run: Run, final: dict, smtp: Smtp) -> None:
    """Rows against acknowledged calls; messages received against notifications."""
    rows = {
        "cases": {s.removeprefix("faults "): n for s, n in final["cases"].items()},
        "messages": {b.removeprefix("faults reply "): n for b, n in final["messages"].items()},
    }
    tallies = (run.load, run.faults)
    for name in ("cases", "messages"):
        acked = set().union(*(getattr(t, f"{name}_acked") for t in tallies))
        failed = set().union(*(getattr(t, f"{name}_failed") for t in tallies))
        stored = rows[name]
        run.figures[name] = {
            "acknowledged": len(acked),
            "rows": sum(stored.values()),
            "lost": sum(1 for t in acked if not stored.get(t)),
            "duplicated": sum(1 for n in stored.values() if n > 1),
            "unexplained": sum(1 for t in stored if t not in acked | failed),
            "failed_calls": len(failed),
            "failed_but_written": sum(1 for t in failed if stored.get(t)),
        }
    received = smtp.counts()
    notifications = final["notifications"]
    run.figures["emails"] = {
        "notifications": len(notifications),
        "states": dict(Counter(notifications.values())),
        "received": sum(received.values()),
        "missing": sum(1 for k in notifications if not received[k]),
        "duplicated": sum(1 for k, n in received.items() if n > 1),
        # For the logs (--keep): which ones, at most ten each.
        "missing_ids": [k for k in notifications if not received[k]][:10],
        "duplicated_ids": [k for k, n in received.items() if n > 1][:10],
        "unknown": sum(1 for k in received if k not in notifications),
    }
    run.figures["advisor"]["final"] = dict(Counter(s for s, _e in final["advisor"]))
    run.figures["advisor"]["reasons"] = dict(Counter(e for s, e in final["advisor"] if e))


def _outages(run: Run) -> None:
    """What the clients saw while the database was down, and after it was back."""
    for name, start, end in run.windows:
        if name != "PostgreSQL down":
            continue
        timeline = sorted(run.faults.timeline)
        during = Counter(kind for t, _ok, kind in timeline if start <= t <= end)
        after = Counter(kind for t, ok, kind in timeline if t > end and not ok)
        first_ok = next((t for t, ok, kind in timeline if t > end and ok), None)
        run.figures["db"] = {
            "outage": end - start,
            "during": dict(during),
            "failed_after": dict(after),
            "first_success_after": first_ok - end if first_ok else None,
        }


def run_database(database: str, args: argparse.Namespace) -> Run:
    run = Run(database)
    work = Path(tempfile.mkdtemp(prefix="supportcenter-faults-"))
    overrides = {
        "SUPPORTCENTER_EMAIL_BACKEND": "smtp",
        "SUPPORTCENTER_EMAIL_HOST": "127.0.0.1",
        "SUPPORTCENTER_SITE_URL": "http://faults.bench",
        # Thousands of cases an hour per account are the point here, not the per-account cap.
        "SUPPORTCENTER_CASE_CREATION_LIMIT": "0",
        "SUPPORTCENTER_SIGNIN_FAILURE_LIMIT": "1000",
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    }
    pg = redis = stack = None
    smtp = Smtp()
    try:
        if database == "postgres":
            pg = Postgres()
            pg.start()
            redis = Redis(work)
            overrides.update(DATABASE_URL=pg.url, CELERY_BROKER_URL=redis.url, REDIS_URL=redis.url)
        smtp.start()
        overrides["SUPPORTCENTER_EMAIL_PORT"] = str(smtp.port)
        env = scratch_env(work / "data", **overrides)
        if database == "sqlite":
            for name in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"):
                env.pop(name, None)
        stack = Stack(env, work, web_workers=args.web_workers)
        stack.start_moto()
        print(f"[{database}] bootstrap and seed in {work} ...", flush=True)
        subprocess.run(
            [sys.executable, "manage.py", "bootstrap"],
            cwd=ROOT,
            env=stack.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        accounts = max(1, args.clients // 10)
        seed = SEED.format(
            accounts=accounts,
            first=int(ADVISOR_ACCOUNT),
            per_account=-(-args.clients // accounts),
            password=PASSWORD,
        )
        users = run_json(stack.env, seed)
        run.figures["accounts"] = accounts
        base = stack.start()
        print(f"[{database}] load: {args.clients} clients, {args.duration:.0f} s ...", flush=True)
        load = Load(_clients(base, users, args.clients, run.load, args.retries))
        started = time.monotonic()
        load.run_for(args.duration)
        run.seconds["load"] = time.monotonic() - started
        print(f"[{database}] faults under load ...", flush=True)
        faults = Load(_clients(base, users, args.clients, run.faults, args.retries))
        smtp_down, advisor_kill = _faults(stack, smtp, pg, faults, (base, users[0]), args, run)
        final = _recover(stack.env, smtp, smtp_down, advisor_kill, args, run)
        _count(run, final, smtp)
        _outages(run)
        run.figures["logs"] = {
            "database is locked": stack.grep("database is locked"),
            "Traceback": stack.grep("Traceback"),
        }
    finally:
        if stack is not None:
            stack.close()
        smtp.stop()
        if redis is not None:
            redis.close()
        if pg is not None:
            pg.close()
    if args.keep:
        (work / "figures.json").write_text(json.dumps(run.figures, indent=1, default=str))
        print(f"[{database}] logs, data and figures.json kept in {work}", flush=True)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return run


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench faults")
    parser.add_argument("--databases", default="sqlite,postgres", help="sqlite, postgres or both.")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--duration", type=float, default=60, help="Seconds of each load phase.")
    parser.add_argument("--smtp-outage", type=float, default=300, help="Seconds without SMTP.")
    parser.add_argument("--db-outage", type=float, default=15, help="Seconds without PostgreSQL.")
    parser.add_argument("--max-wait", type=float, default=900, help="Longest recovery wait.")
    parser.add_argument("--retries", type=int, default=5, help="boto3's max_attempts (retries).")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="Keep the logs and data directory.")
    parser.add_argument("--no-record", action="store_true", help="Print, do not append to docs.")
    args = parser.parse_args(argv)
    runs = [run_database(d.strip(), args) for d in args.databases.split(",") if d.strip()]
    publish(record(runs, args), record=not args.no_record)
