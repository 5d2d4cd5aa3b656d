"""SQLite writers under gunicorn's concurrency: Django's own SQLite backend against the
embedded default's (`core.sqlite`, where a process's writers queue on a lock of their own
before SQLite's), side by side in one run.

    python -m bench writers [--processes 2] [--threads 4] [--transactions 250]
                            [--work-ms 1] [--rounds 3] [--no-record]

Each round starts, for each backend in turn (the order rotated each round), `--processes`
processes of `--threads` threads on one fresh WAL database file, as `make run`'s gunicorn runs
2 workers x 4 threads. Every thread runs `--transactions` transactions shaped like an API call
that writes: `--work-ms` of CPU before the transaction (its reads and checks), then
`BEGIN IMMEDIATE`, an INSERT, `--work-ms` of CPU inside (the service's other statements), and
COMMIT. Reported: transactions a second and each transaction's latency from the start of its
work to its commit (p50, p95, p99), the median round shown.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import publish

ROOT = Path(__file__).resolve().parent.parent
ENGINES = {
    "Django's SQLite backend": "django.db.backends.sqlite3",
    "core.sqlite (writers queue in the process)": "core.sqlite",
}


def _spin(ms: float) -> None:
    end = time.thread_time() + ms / 1000
    while time.thread_time() < end:
        pass


def _process(transactions: int, threads: int, work_ms: float, results) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection, transaction

    latencies: list[float] = []

    def writer() -> None:
        for number in range(transactions):
            started = time.perf_counter()
            _spin(work_ms)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("INSERT INTO t (n, pad) VALUES (%s, %s)", [number, "x" * 200])
                _spin(work_ms)
            latencies.append(time.perf_counter() - started)
        connection.close()

    workers = [threading.Thread(target=writer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put(latencies)


def child(engine: str, args: argparse.Namespace) -> dict:
    """One backend's run, in a process of its own (Django is configured once per process)."""
    import django
    from django.conf import settings

    path = Path(tempfile.mkdtemp(prefix="bench-writers-")) / "writers.sqlite3"
    settings.configure(
        DATABASES={
            "default": {
                "ENGINE": engine,
                "NAME": str(path),
                "CONN_MAX_AGE": None,
                # As the embedded default's settings.
                "OPTIONS": {
                    "transaction_mode": "IMMEDIATE",
                    "timeout": 20,
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                },
            }
        },
        INSTALLED_APPS=[],
        USE_TZ=True,
    )
    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, pad TEXT)")
    connection.close()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    started = time.perf_counter()
    processes = [
        context.Process(
            target=_process, args=(args.transactions, args.threads, args.work_ms, results)
        )
        for _ in range(args.processes)
    ]
    for process in processes:
        process.start()
    latencies = [value for _ in processes for value in results.get()]
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def quantile(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    return {
        "per_second": len(latencies) / elapsed,
        "p50": quantile(0.5),
        "p95": quantile(0.95),
        "p99": quantile(0.99),
    }


def _run(engine: str, args: argparse.Namespace) -> dict:
    command = [
        sys.executable,
        "-m",
        "bench.writers",
        "--child",
        engine,
        *(
            f"--{name}={getattr(args, name.replace('-', '_'))}"
            for name in ("processes", "threads", "transactions", "work-ms")
        ),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench writers", description=__doc__)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--transactions", type=int, default=250, help="Per thread.")
    parser.add_argument("--work-ms", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--no-record", action="store_true", help="Print, do not append to docs.")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args)))
        return
    names = list(ENGINES)
    rows: dict[str, list[dict]] = {name: [] for name in names}
    before = os.getloadavg()
    for number in range(args.rounds):
        for name in names[number % len(names) :] + names[: number % len(names)]:
            row = _run(ENGINES[name], args)
            rows[name].append(row)
            print(
                f"round {number + 1}  {name:45} {row['per_second']:6,.0f}/s  "
                f"p50 {row['p50']:6.1f}  p95 {row['p95']:6.1f}  p99 {row['p99']:6.1f} ms",
                flush=True,
            )
    after = os.getloadavg()
    lines = [
        f"### SQLite writers under gunicorn's concurrency — {time.strftime('%Y-%m-%d')}",
        "",
        f"`python -m bench writers`: {args.processes} processes x {args.threads} threads on one "
        f"WAL database file (`BEGIN IMMEDIATE`, `synchronous=NORMAL`, busy timeout 20 s), each "
        f"thread {args.transactions} transactions of {args.work_ms:g} ms of CPU before "
        f"`BEGIN IMMEDIATE`, an INSERT and {args.work_ms:g} ms of CPU inside; {args.rounds} "
        f"interleaved rounds, the median round (by rate) shown; latency from the start of a "
        f"transaction's work to its commit. Machine: {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.machine()}.",
        "",
        "| backend | transactions/s | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|",
    ]
    for name in names:
        median = sorted(rows[name], key=lambda row: row["per_second"])[len(rows[name]) // 2]
        lines.append(
            f"| {name} | {median['per_second']:,.0f} | {median['p50']:.1f} | "
            f"{median['p95']:.1f} | {median['p99']:.1f} |"
        )
    spread = "; ".join(
        f"{name}: "
        + ", ".join(f"{row['per_second']:,.0f}/s p99 {row['p99']:.0f}" for row in rows[name])
        for name in names
    )
    load = " → ".join("/".join(f"{x:.2f}" for x in avg) for avg in (before, after))
    lines += [
        "",
        f"Every round, in order: {spread}. p95 across rounds: "
        + "; ".join(
            f"{name} {statistics.median(row['p95'] for row in rows[name]):.1f} ms" for name in names
        )
        + f". Load average (1/5/15 min) before and after: {load}.",
        "",
    ]
    publish("\n".join(lines), record=not args.no_record)


if __name__ == "__main__":
    main(sys.argv[1:])
