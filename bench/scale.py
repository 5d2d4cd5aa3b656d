"""Scale benchmark: what the hot reads and the jobs cost at 10,000, 100,000 and 1,000,000 cases,
to show each cost flat or logarithmic in the number of cases, not linear.

    python -m bench scale [--sizes 10000,100000,1000000] [--calls 200] [--data-dir DIR]

On the environment's database: SQLite in the data directory, or DATABASE_URL when it is set (a
database of its own: the run adds cases to it). One database is seeded incrementally (bulk
inserts, `bench.seeding`): up to the first size, measure, add cases up to the next, measure,
and so on; all the cases are in one account (the worst case for that account's own lists), with
a Zipf vocabulary of subjects and messages so a word's share of the cases is the same at every
size. At each size:

- the customer's case list, first page (the account's root user, signed in);
- DescribeCases with maxResults 10 (the account's API user; signed requests);
- the console's search by a mid-frequency and a common word (a signed-in engineer);

each replayed by `bench.replay` (over one connection by default: the unloaded latency), with
gunicorn's CPU per call (robust on a shared machine; PostgreSQL's own CPU is not in it); then
the jobs, in a process each as `bench jobs` runs them: auto-resolve over the stale share
(pending the customer for longer than the wait), purge over the share past the retention, and
each again with nothing left to do. A job's cost is per case it handles (its work is
proportional to that share by design) and, run again, its cost to find there is nothing to do.

The growth column is the cost's exponent in the number of cases between the smallest and the
largest size: 0 is flat, about 0.1 is logarithmic over 10k→1M, 1 is linear. Over 0.5 is
flagged.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import database_name, free_port, publish, start_web, wait_http
from bench.jobs import run_job
from bench.pages import signed_in_opener
from bench.replay import Row, api_requests, cookie_header, page_requests, replay
from bench.seeding import (
    ENGINEER,
    PASSWORD,
    account_setup,
    bootstrap,
    cases_top_up,
    data_env,
)

MID, COMMON = "term400", "term40"
FLAG = 0.5


@dataclass
class Size:
    cases: int
    seeded: dict
    rows: dict[str, Row] = field(default_factory=dict)
    jobs: dict[str, dict] = field(default_factory=dict)
    load: tuple[float, ...] = ()


def _reads(env: dict[str, str], user: dict[str, str], args: argparse.Namespace) -> dict[str, Row]:
    port = free_port()
    web = start_web(env, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/livez")
        customer = signed_in_opener(base, user["rootEmail"], PASSWORD)
        engineer = signed_in_opener(base, ENGINEER, PASSWORD)
        pages = {
            "case list, first page": (customer, "/support/cases/", "/support/cases/case-"),
            f"console search, a mid word ({MID})": (
                engineer,
                f"/console/search/?q={MID}",
                "/console/cases/case-",
            ),
            f"console search, a common word ({COMMON})": (
                engineer,
                f"/console/search/?q={COMMON}",
                "/console/cases/case-",
            ),
        }
        builders = {}
        for name, (jar, path, expect) in pages.items():
            # Once through a browser-like opener: the page must show cases, not an empty list.
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            if expect not in opener.open(base + path, timeout=120).read().decode():
                raise RuntimeError(f"{name}: {path} shows no case")
            cookies = cookie_header(jar)
            builders[name] = lambda count, path=path, cookies=cookies: page_requests(
                base, path, count, cookies
            )
        builders["DescribeCases (maxResults 10)"] = lambda count: api_requests(
            base,
            "DescribeCases",
            {"maxResults": 10},
            count,
            key=user["accessKeyId"],
            secret=user["secretAccessKey"],
        )
        rows = {}
        for name, build in builders.items():
            replay(base, build(args.warmup), connections=args.connections, pids=[])
            row = replay(base, build(args.calls), connections=args.connections, pids=[web.pid])
            if set(row.statuses) != {200}:
                raise RuntimeError(f"{name}: {dict(row.statuses)} {row.first_error!r}")
            rows[name] = row
            print(
                f"  {name:40} p50 {row.p50:7.1f} ms  p95 {row.p95:7.1f} ms  "
                f"server CPU {row.server_ms:6.2f} ms/call",
                flush=True,
            )
        return rows
    finally:
        web.terminate()
        web.wait(timeout=30)


def _jobs(env: dict[str, str]) -> dict[str, dict]:
    jobs = {}
    for name, call in (
        ("auto-resolve", "cases_auto_resolve()"),
        ("auto-resolve, nothing to do", "cases_auto_resolve()"),
        ("purge", "cases_purge()"),
        ("purge, nothing to do", "cases_purge()"),
    ):
        jobs[name] = run_job(env, call)
        print(
            f"  {name:40} {jobs[name]['count']:9,} cases  {jobs[name]['seconds']:7.2f} s  "
            f"peak {jobs[name]['peak_mb']:.0f} MB",
            flush=True,
        )
    return jobs


def _growth(first: float, last: float, sizes: list[Size]) -> str:
    if first <= 0 or last <= 0 or len(sizes) < 2:
        return ""
    exponent = math.log(last / first) / math.log(sizes[-1].cases / sizes[0].cases)
    verdict = "**linear: check**" if exponent >= FLAG else "flat/log" if exponent < 0.2 else "grows"
    return f"{last / first:.2f}× (n^{exponent:.2f}) {verdict}"


def record(sizes: list[Size], args: argparse.Namespace, env: dict[str, str]) -> str:
    header = " | ".join(f"{size.cases:,}" for size in sizes)
    lines = [
        f"### Scale: {sizes[0].cases:,} → {sizes[-1].cases:,} cases — {time.strftime('%Y-%m-%d')}",
        "",
        f"One account holding every case ({database_name(env)}), seeded incrementally into one "
        f"data directory; {args.stale_share:.0%} of the cases stale (pending the customer past "
        f"auto-resolve's wait) and {args.old_share:.0%} resolved past the retention at each "
        f"size. Reads: gunicorn {args.workers} workers x 4 threads, `bench/replay.py` over "
        f"{args.connections} connection(s), {args.calls} calls per row after {args.warmup} to "
        f"warm up. Machine: {os.cpu_count()} cores, Python {platform.python_version()}. Growth: "
        "the last size's cost over the first's, and its exponent in the number of cases (0 "
        "flat, about 0.1 logarithmic over 10k→1M, 1 linear; 0.5 and over is flagged).",
        "",
        f"| cost | {header} | growth |",
        "|---|" + "---|" * len(sizes) + "---|",
    ]
    for name in sizes[0].rows:
        cells = [size.rows[name] for size in sizes]
        values = " | ".join(
            f"{row.server_ms:.2f} (p50 {row.p50:.1f}, p95 {row.p95:.1f})" for row in cells
        )
        lines.append(
            f"| {name}: server CPU ms/call | {values} | "
            f"{_growth(cells[0].server_ms, cells[-1].server_ms, sizes)} |"
        )
    for name in ("auto-resolve", "purge"):
        per_case = [
            size.jobs[name]["seconds"] * 1000 / size.jobs[name]["count"]
            if size.jobs[name]["count"]
            else 0.0
            for size in sizes
        ]
        values = " | ".join(
            f"{cost:.3f} ({size.jobs[name]['count']:,} in {size.jobs[name]['seconds']:.1f} s)"
            for cost, size in zip(per_case, sizes, strict=True)
        )
        growth = _growth(per_case[0], per_case[-1], sizes)
        lines.append(f"| {name}: ms per case handled | {values} | {growth} |")
        idle = [size.jobs[f"{name}, nothing to do"]["seconds"] * 1000 for size in sizes]
        values = " | ".join(f"{cost:.1f}" for cost in idle)
        lines.append(
            f"| {name}, nothing to do: ms | {values} | {_growth(idle[0], idle[-1], sizes)} |"
        )
    seeding = "; ".join(
        f"{size.seeded['total']:,} (+{size.seeded['added']:,} in {size.seeded['seconds']:.0f} s)"
        for size in sizes
    )
    loads = "; ".join(
        f"{size.cases:,}: " + "/".join(f"{x:.2f}" for x in size.load) for size in sizes
    )
    lines += [
        "",
        f"Seeding (bulk inserts, with the search index and planner statistics): {seeding}. "
        f"Load average (1/5/15 min) after each size's reads: {loads}. Data directory: "
        f"`{env['SUPPORTCENTER_DATA_DIR']}`.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench scale")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--stale-share", type=float, default=0.02)
    parser.add_argument("--old-share", type=float, default=0.3)
    parser.add_argument("--data-dir", help="Seed into (and reuse) this data directory.")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    env = data_env(
        Path(args.data_dir) if args.data_dir else None,
        SUPPORTCENTER_API_RATE_LIMIT="0",
        SUPPORTCENTER_SIGNIN_FAILURE_LIMIT="1000",
        SUPPORTCENTER_EMAIL_BACKEND="console",
    )
    print(f"Data directory: {env['SUPPORTCENTER_DATA_DIR']}", flush=True)
    bootstrap(env)
    user = account_setup(env)
    sizes = []
    for cases in sorted(int(size) for size in args.sizes.split(",")):
        print(f"{cases:,} cases: seeding ...", flush=True)
        size = Size(
            cases,
            cases_top_up(env, cases, stale_share=args.stale_share, old_share=args.old_share),
        )
        size.rows = _reads(env, user, args)
        size.load = os.getloadavg()
        size.jobs = _jobs(env)
        sizes.append(size)
    publish(record(sizes, args, env), record=not args.no_record)
