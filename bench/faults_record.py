"""The record of `python -m bench faults`: the figures of each database's run, as the section
appended to docs/benchmarks.md."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.faults_load import Tally


@dataclass
class Run:
    """What one database's run measured."""

    database: str
    load: Tally = field(default_factory=Tally)
    faults: Tally = field(default_factory=Tally)
    seconds: dict[str, float] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    # (name, monotonic start, monotonic end) of each fault.
    windows: list[tuple[str, float, float]] = field(default_factory=list)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def _kinds(counter: Counter | dict) -> str:
    return (
        ", ".join(f"{k} {v:,}" for k, v in sorted(counter.items(), key=lambda i: -i[1])) or "none"
    )


def _database_label(run: Run) -> str:
    return "PostgreSQL 15 + Redis" if run.database == "postgres" else "SQLite (WAL) + files"


def _load_rows(run: Run) -> list[str]:
    tally = run.load
    rows = []
    names = sorted({name for name, _outcome in tally.calls})
    for name in names:
        total = sum(n for (call, _o), n in tally.calls.items() if call == name)
        errors = {o: n for (call, o), n in tally.calls.items() if call == name and o != "ok"}
        latencies = tally.latencies.get(name, [])
        rows.append(
            f"| {_database_label(run)} | {name} | {total:,} | {_kinds(errors)} | "
            f"{statistics.median(latencies) * 1000 if latencies else 0:.0f} | "
            f"{_quantile(latencies, 0.95):.0f} |"
        )
    return rows


def _summary_row(run: Run) -> str:
    load = run.load
    throttled = sum(n for k, n in load.attempts.items() if "Throttling" in k)
    locked = sum(run.figures["logs"]["database is locked"].values())
    return (
        f"| {_database_label(run)} | {load.requests():,} | "
        f"{load.requests() / run.seconds['load']:,.0f} | {sum(load.errors().values()):,} | "
        f"{throttled:,} | {locked} |"
    )


def _writes_row(run: Run) -> str:
    c, m = run.figures["cases"], run.figures["messages"]
    return (
        f"| {_database_label(run)} | {c['acknowledged']:,} / {c['rows']:,} | "
        f"{c['lost']} / {c['duplicated']} | {m['acknowledged']:,} / {m['rows']:,} | "
        f"{m['lost']} / {m['duplicated']} | {c['failed_calls'] + m['failed_calls']:,} "
        f"({c['failed_but_written'] + m['failed_but_written']:,} written) | "
        f"{c['unexplained'] + m['unexplained']} |"
    )


def _seconds(value: float | None) -> str:
    return f"{value:,.0f} s" if value is not None else "not within the wait"


def _fault_rows(run: Run) -> list[str]:
    label = _database_label(run)
    advisor, emails, smtp = run.figures["advisor"], run.figures["emails"], run.figures["smtp"]
    rows = [
        f"| {label} | worker SIGKILLed right after the SMTP server accepted a message "
        f"({run.figures['email_kill']['received_before']:,} received before) | counted with "
        "the emails below | started again after 2 s |",
    ]
    reasons = f"; {_kinds(advisor['reasons'])}" if advisor["reasons"] else ""
    if advisor["kills"]:
        when = (
            f"{advisor['kills']} kill(s), the last {advisor['killed_after_request']:.0f} s after "
            f"the requests; read while no worker ran: {_kinds(advisor['at_kill'])}"
        )
    else:
        when = "no run was seen processing: no kill"
    rows.append(
        f"| {label} | worker SIGKILLed during Trusted Advisor runs ({advisor['refreshes']} "
        f"refreshes; {when}) | final states: {_kinds(advisor['final'])}{reasons} | all final "
        f"{_seconds(advisor.get('all_final_after_kill'))} after the kill |"
    )
    if "db" in run.figures:
        db = run.figures["db"]
        first = db["first_success_after"]
        failed: Counter = Counter()
        for (_call, outcome), n in run.faults.errors().items():
            failed[outcome] += n
        rows.append(
            f"| {label} | PostgreSQL stopped as in a crash (`-m immediate`) for "
            f"{db['outage']:.0f} s under load | attempts answered while it was down: "
            f"{_kinds(db['during'])}; failed attempts answered after it was back: "
            f"{_kinds(db['failed_after'])}; calls that still failed after boto3's retries: "
            f"{_kinds(failed)} | "
            + (f"first success {first:.1f} s after it was back |" if first else "none |")
        )
    rows += [
        f"| {label} | SMTP server stopped for {smtp['outage']:.0f} s "
        f"({smtp['unsent_at_restart']:,} messages unsent when it came back) | "
        f"{emails['notifications']:,} notifications: {_kinds(emails['states'])}; received "
        f"{emails['received']:,}, missing {emails['missing']}, duplicated "
        f"{emails['duplicated']}, unknown {emails['unknown']} | all delivered "
        f"{_seconds(smtp['all_delivered_after'])} after SMTP was back |",
    ]
    return rows


def record(runs: list[Run], args: argparse.Namespace) -> str:
    shortened = (
        f" The SMTP outage was {args.smtp_outage:.0f} s instead of the issue's 300 s."
        if args.smtp_outage < 300
        else ""
    )
    lines = [
        f"### Load and faults — {time.strftime('%Y-%m-%d')}",
        "",
        f"`python -m bench faults --clients {args.clients} --duration {args.duration:.0f} "
        f"--smtp-outage {args.smtp_outage:.0f} --db-outage {args.db_outage:.0f}`: each database "
        f"with its own processes (gunicorn {args.web_workers} workers x 4 threads, a Celery "
        "worker with 2 processes, Celery beat, aiosmtpd, the moto sample environment; "
        "PostgreSQL 15 and Redis on loopback for the production path). "
        f"{args.clients} concurrent clients: three in four boto3 clients with an access key each "
        f"(standard retry mode, {args.retries} retries; CreateCase 20 %, AddCommunicationToCase "
        "30 %, DescribeCases 50 %; the default rate limit of 20 calls/s per key), one in four a "
        "signed-in customer reading the case list and cases; accounts on Enterprise with the "
        f"per-account case-creation cap off. Machine: {os.cpu_count()} cores shared with other "
        f"work, Python {platform.python_version()}.{shortened}",
        "",
        f"Load alone ({args.duration:.0f} s): calls finished, failed calls (after retries), "
        "ThrottlingException answers (retried by boto3, not failures), and log lines saying "
        '"database is locked" in any process.',
        "",
        "| database | calls | calls/s | failed | throttled attempts | database is locked |",
        "|---|---|---|---|---|---|",
        *[_summary_row(r) for r in runs],
        "",
        "| database | call | calls | failed | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|",
        *[row for r in runs for row in _load_rows(r)],
        "",
        "Writes over both phases, counted in the database against the calls boto3 reported "
        "successful (each carries a token in its text): acknowledged / rows, lost / duplicated; "
        "calls that failed (during the faults, after boto3's retries) and how many of those "
        "were written anyway; rows no call accounts for.",
        "",
        "| database | cases | cases lost / dup | replies | replies lost / dup | failed calls "
        "| unexplained |",
        "|---|---|---|---|---|---|---|",
        *[_writes_row(r) for r in runs],
        "",
        f"Faults during the second {args.duration:.0f} s of load, in this order, and recovery "
        "(every recovery is the product's own: sweeps, heartbeats, retries):",
        "",
        "| database | fault | outcome | recovery |",
        "|---|---|---|---|",
        *[row for r in runs for row in _fault_rows(r)],
        "",
    ]
    return "\n".join(lines)
