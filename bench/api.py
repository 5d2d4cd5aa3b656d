"""API benchmark: CreateCase and DescribeCases (maxResults 10) calls per second with an account
holding many cases, side by side in one run with moto_server answering the same calls and a
trivial Django view on the same stack (GET /livez, no database: the ceiling).

    python -m bench api [--cases 100000] [--requests 2000] [--rounds 5] [--connections 8]
                        [--databases sqlite,postgres] [--profile] [--data-dir DIR]

Support Center runs under gunicorn as `make run` runs it (2 workers x 4 threads) on the
embedded default (SQLite in a scratch data directory, no Redis) and on PostgreSQL + Redis
(DATABASE_URL, REDIS_URL and CELERY_BROKER_URL when set, else a throwaway cluster and Redis
this run starts, as `bench faults` does). The load generator is `bench.replay`: requests signed
ahead of time and replayed over 8 keep-alive connections, the same for all three servers, so
the client costs the machine little. Each call kind runs several interleaved rounds of
(ceiling, Support Center, moto_server), the order rotated each round; the median round is
reported with the server's CPU per call, and the ratios against the goals (3x moto_server,
50% of the ceiling). `--profile` first runs each call in one process under cProfile and puts
the top entries in the record.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import database_name, free_port, publish, run_json, start_web, wait_http
from bench.replay import Row, api_requests, page_requests, replay
from bench.seeding import account_setup, bootstrap, cases_top_up, data_env

CREATE = {
    "subject": "Benchmark case",
    "serviceCode": "amazon-elastic-compute-cloud-linux",
    "categoryCode": "instance-issue",
    "severityCode": "normal",
    "communicationBody": "Created by the benchmark.",
}
CALLS = {"CreateCase": CREATE, "DescribeCases": {"maxResults": 10}}
GOAL_MOTO = 3.0
GOAL_CEILING = 0.5
CEILING, OURS, MOTO = "trivial view (GET /livez)", "Support Center", "moto_server"


@dataclass
class Target:
    name: str
    base: str
    pid: int
    key: str = ""
    secret: str = ""
    database_pids: list[int] = field(default_factory=list)

    def requests(self, operation: str, count: int) -> list[bytes]:
        if not self.key:
            return page_requests(self.base, "/livez", count)
        return api_requests(
            self.base, operation, CALLS[operation], count, key=self.key, secret=self.secret
        )


@dataclass
class Outcome:
    """One database's run: every round's row per (call, server)."""

    database: str
    seed_seconds: float
    cases: int
    rows: dict[tuple[str, str], list[Row]] = field(default_factory=dict)
    profiles: list[dict] = field(default_factory=list)
    load: tuple[tuple[float, ...], tuple[float, ...]] = ((), ())

    def median(self, operation: str, server: str) -> Row:
        rows = sorted(self.rows[(operation, server)], key=lambda row: row.per_second)
        return rows[(len(rows) - 1) // 2]


def _moto_reset(base: str) -> None:
    request = urllib.request.Request(base + "/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=30):
        pass


def _checked(row: Row, what: str) -> Row:
    if set(row.statuses) != {200}:
        raise RuntimeError(f"{what}: answers {dict(row.statuses)}; first error {row.first_error!r}")
    return row


def rounds(targets: list[Target], args: argparse.Namespace, outcome: Outcome) -> None:
    moto = next(target for target in targets if target.name == MOTO)
    for operation in CALLS:
        if operation == "DescribeCases":
            # moto answers DescribeCases with every case it holds (it ignores maxResults): give
            # it exactly 10, the size of the answer Support Center gives from its 100,000.
            _moto_reset(moto.base)
            replay(moto.base, moto.requests("CreateCase", 10), connections=1, pids=[])
        counts = {}
        for target in targets:  # warm-up: imports, connection pools, caches
            warm = _checked(
                replay(
                    target.base,
                    target.requests(operation, args.warmup),
                    connections=args.connections,
                    pids=[],
                ),
                f"{operation} warm-up on {target.name}",
            )
            # Each row lasts about --seconds at the rate the warm-up showed (unless --requests).
            counts[target.name] = args.requests or max(100, round(warm.per_second * args.seconds))
        for number in range(args.rounds):
            shift = number % len(targets)
            for target in targets[shift:] + targets[:shift]:
                # Signed just before the row (SigV4 requests are good for 15 minutes).
                requests = target.requests(operation, counts[target.name])
                row = _checked(
                    replay(
                        target.base,
                        requests,
                        connections=args.connections,
                        pids=[target.pid],
                        database_pids=target.database_pids,
                    ),
                    f"{operation} on {target.name}",
                )
                outcome.rows.setdefault((operation, target.name), []).append(row)
                print(
                    f"  {operation:13} round {number + 1}  {target.name:26} "
                    f"{row.per_second:7,.0f}/s  p95 {row.p95:6.1f} ms  "
                    f"server CPU {row.server_ms:5.2f} ms/call"
                    + (f" (+ database {row.database_ms:.2f})" if row.database_cpu else ""),
                    flush=True,
                )


def _profile(env: dict[str, str], user: dict[str, str], calls: int) -> list[dict]:
    profiles = []
    for operation, params in CALLS.items():
        arguments = {
            "key": user["accessKeyId"],
            "secret": user["secretAccessKey"],
            "calls": calls,
        }
        script = (
            "import json, django\ndjango.setup()\n"
            "from bench.api_profile import profile\n"
            f"print(json.dumps(profile({operation!r}, {params!r}, **{arguments!r})))"
        )
        profiles.append(run_json(env, script))
    return profiles


@contextlib.contextmanager
def environment(database: str, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The benchmark's environment on `database` (`sqlite` or `postgres`), and the processes
    of the database and cache servers it started (their CPU is counted apart)."""
    overrides = {"SUPPORTCENTER_API_RATE_LIMIT": "0", "SUPPORTCENTER_CASE_CREATION_LIMIT": "0"}
    servers = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")
    if database == "sqlite":
        env = data_env(Path(args.data_dir) if args.data_dir else None, **overrides)
        for name in servers:
            env.pop(name, None)
        yield env, []
        return
    if os.environ.get("DATABASE_URL"):
        yield data_env(**overrides), []
        return
    from bench.faults_stack import Postgres, Redis

    postgres = Postgres()
    redis = None
    try:
        postgres.start()
        redis = Redis(postgres.work)
        postmaster = int((postgres.data / "postmaster.pid").read_text().split()[0])
        yield (
            data_env(
                DATABASE_URL=postgres.url,
                REDIS_URL=redis.url,
                CELERY_BROKER_URL=redis.url,
                **overrides,
            ),
            [postmaster, redis.process.pid],
        )
    finally:
        if redis is not None:
            redis.close()
        postgres.close()


def run(database: str, args: argparse.Namespace) -> Outcome:
    with environment(database, args) as (env, database_pids):
        name = database_name(env)
        print(f"{name}: seeding {args.cases:,} cases ...", flush=True)
        started = time.perf_counter()
        bootstrap(env)
        user = account_setup(env)
        # A reused data directory may hold more (earlier runs' CreateCase calls).
        cases = cases_top_up(env, args.cases)["total"]
        outcome = Outcome(name, time.perf_counter() - started, cases)
        if args.profile:
            print(f"{name}: profiling {args.profile_calls} calls of each kind ...", flush=True)
            outcome.profiles = _profile(env, user, args.profile_calls)
        port, moto_port = free_port(), free_port()
        web = start_web(env, port, args.workers, args.threads)
        moto = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "moto_server"),
                "-H",
                "127.0.0.1",
                "-p",
                str(moto_port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            ours, theirs = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{moto_port}"
            wait_http(ours + "/livez")
            wait_http(theirs + "/moto-api/")
            targets = [
                Target(CEILING, ours, web.pid),
                Target(
                    OURS,
                    ours,
                    web.pid,
                    user["accessKeyId"],
                    user["secretAccessKey"],
                    database_pids,
                ),
                Target(MOTO, theirs, moto.pid, "testing", "testing"),
            ]
            before = os.getloadavg()
            rounds(targets, args, outcome)
            outcome.load = (before, os.getloadavg())
        finally:
            for process in (web, moto):
                process.terminate()
                process.wait(timeout=30)
    return outcome


def _database(row: Row, server: str) -> str:
    return f"{row.database_ms:.2f}" if server == OURS and row.database_cpu else ""


def _ratio_cell(value: float, goal: float, fmt: str) -> str:
    return f"{fmt.format(value)} {'✓' if value >= goal else '✗'}"


def table(outcome: Outcome) -> list[str]:
    lines = [
        "| call | server | calls/s | p50 ms | p95 ms | server CPU ms/call | "
        "database CPU ms/call | client CPU ms/call | × moto_server | % of ceiling |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for operation in CALLS:
        ceiling = outcome.median(operation, CEILING).per_second
        moto = outcome.median(operation, MOTO).per_second
        for server in (CEILING, OURS, MOTO):
            row = outcome.median(operation, server)
            times, share = "", ""
            if server == OURS:
                times = _ratio_cell(row.per_second / moto, GOAL_MOTO, "{:.2f}×")
                share = _ratio_cell(row.per_second / ceiling, GOAL_CEILING, "{:.0%}")
                verdicts.append(
                    f"{operation}: {row.per_second / moto:.2f}× moto_server (goal {GOAL_MOTO:g}×), "
                    f"{row.per_second / ceiling:.0%} of the ceiling (goal {GOAL_CEILING:.0%})"
                )
            label = "DescribeCases (maxResults 10)" if operation == "DescribeCases" else operation
            lines.append(
                f"| {label} | {server} | {row.per_second:,.0f} | {row.p50:.1f} | {row.p95:.1f} | "
                f"{row.server_ms:.2f} | {_database(row, server)} | {row.client_ms:.2f} | "
                f"{times} | {share} |"
            )
    spread = "; ".join(
        f"{operation} {server}: "
        + ", ".join(f"{row.per_second:,.0f}" for row in outcome.rows[(operation, server)])
        for operation in CALLS
        for server in (CEILING, OURS, MOTO)
    )
    load = " → ".join("/".join(f"{x:.2f}" for x in avg) for avg in outcome.load)
    return [
        *lines,
        "",
        "Goals: " + "; ".join(verdicts) + ".",
        "",
        f"Every round's calls/s, in order: {spread}. Load average (1/5/15 min) from the first "
        f"round to the last: {load}. Seeded in {outcome.seed_seconds:,.0f} s.",
    ]


def profile_lines(outcome: Outcome) -> list[str]:
    lines = []
    for profile in outcome.profiles:
        lines += [
            "",
            f"Profile of {profile['operation']} on {outcome.database} ({profile['calls']} calls "
            f"in one process through Django's WSGI handler; {profile['cpu_ms']:.2f} ms CPU per "
            f"call without the profiler; times are cProfile's, wall clock; "
            f"{len(profile['queries'])} queries per call):",
            "",
            "```",
            *(f"  {query}" for query in profile["queries"]),
            "",
            "Project code, by cumulative time:",
            *profile["ours"],
            "",
            "Everything, by own time:",
            *profile["own"],
            "```",
        ]
    return lines


def record(outcomes: list[Outcome], args: argparse.Namespace) -> str:
    rows_of = (
        f"{args.requests:,} calls per row"
        if args.requests
        else f"rows of about {args.seconds:g} s (as many calls as the warm-up's rate gives)"
    )
    lines = [
        f"### AWS API throughput (pre-signed replay) — {time.strftime('%Y-%m-%d')}",
        "",
        f"At least {args.cases:,} cases in the account; Support Center under gunicorn as "
        f"`make run` runs it ({args.workers} workers x {args.threads} threads, access log off). "
        "Load generator: "
        f"`bench/replay.py`, requests SigV4-signed ahead of time with botocore (each with its "
        f"own invocation id, so every CreateCase creates a case) and replayed by an asyncio "
        f"HTTP/1.1 client over {args.connections} keep-alive connections, the same for the "
        f"three servers; {rows_of}, {args.rounds} interleaved round(s) of "
        "(ceiling, Support Center, moto_server) per call kind, the order rotated each round, "
        "the median round shown. Server CPU is the user + system time of gunicorn's master and "
        "workers (moto_server's process) over the row; database CPU, on PostgreSQL started by "
        "the run, that of PostgreSQL's and Redis's processes (SQLite works inside gunicorn's "
        "workers); client CPU is the load generator's. "
        "moto_server answers the same requests (signed with its dummy keys; it checks no "
        "signature, validates little and keeps cases in a dict); for DescribeCases it holds "
        "exactly 10 cases, the size of Support Center's answer (moto ignores maxResults), and "
        "it cycles its cases' statuses on every call, leaving out the ones it has just "
        "resolved. Rate limits off (`SUPPORTCENTER_API_RATE_LIMIT=0`, "
        "`SUPPORTCENTER_CASE_CREATION_LIMIT=0`); no Celery worker runs, so queued "
        f"notifications wait in the broker. Machine: {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.machine()}.",
    ]
    for outcome in outcomes:
        lines += ["", f"#### {outcome.database}, {outcome.cases:,} cases", "", *table(outcome)]
        lines += profile_lines(outcome)
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench api")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10, help="A row's length, about.")
    parser.add_argument("--requests", type=int, help="Calls per row (instead of --seconds).")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--profile", action="store_true", help="Profile each call first.")
    parser.add_argument("--profile-calls", type=int, default=400)
    parser.add_argument("--data-dir", help="SQLite: reuse (and top up) a data directory.")
    parser.add_argument("--no-record", action="store_true", help="Print, do not append to docs.")
    args = parser.parse_args(argv)
    databases = [name.strip() for name in args.databases.split(",") if name.strip()]
    if not set(databases) <= {"sqlite", "postgres"}:
        parser.error("--databases takes sqlite, postgres or both")
    if "postgres" in databases and not (os.environ.get("DATABASE_URL") or _postgres_installed()):
        # A fresh clone on a machine without PostgreSQL still gets its SQLite figures.
        print("PostgreSQL: not measured (no DATABASE_URL, and no initdb or redis-server here)")
        databases.remove("postgres")
    outcomes = [run(database, args) for database in databases]
    publish(record(outcomes, args), record=not args.no_record)


def _postgres_installed() -> bool:
    return bool(list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))) and bool(
        shutil.which("redis-server")
    )
