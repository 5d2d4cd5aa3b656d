"""Email drain: do emails go out as fast as cases arrive, and what does the stack cost idle?

    python -m bench drain [--brokers filesystem,redis] [--cases 3000] [--threads 8] [--demo]
                          [--idle 20] [--no-record]

For each broker the run starts `manage.py runstack` (what `make run` runs: gunicorn, a Celery
worker, Celery beat, and with `--demo` the demo tenant and its moto server) on a scratch data
directory (SQLite, or DATABASE_URL if set), with email going over SMTP to a sink on loopback
(aiosmtpd) that counts what it receives and over how many connections. `redis` is a
redis-server of the run's own. Then:

1. **Idle.** After the stack has settled, the memory of every process (RSS, and PSS: shared pages
   split between the processes sharing them, so the total is what the stack really holds) and
   the CPU the whole stack uses over `--idle` seconds, as a share of one core.
2. **Load.** `--threads` boto3 clients create `--cases` cases through the API as fast as it
   answers (each case mails its contacts once); the arrival rate is cases per second of load.
   Delivery is the rate at which the sink receives them, during the load and until the last
   one; the backlog is what was not yet received when the load ended.
3. **After.** Memory again, and idle CPU once the outbox has drained.

The figures are appended to docs/benchmarks.md (bench.api.publish) unless --no-record, with the
machine's load average, as the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench.api import CREATE
from bench.common import (
    ROOT,
    database_name,
    free_port,
    publish,
    run_json,
    scratch_env,
    support_client,
    wait_http,
)
from bench.faults_stack import Redis
from bench.seeding import seed

TICKS = os.sysconf("SC_CLK_TCK")
EXPECTED = """
import django
django.setup()
from notifications.models import Notification
print(Notification.objects.count())
"""


class Sink:
    """An SMTP server (aiosmtpd) in a process of its own, as a real mail server would be (in the
    benchmark's process it would wait for the GIL behind the boto3 clients' threads), noting
    each message's arrival time, Message-ID and connection (client address and port) in a file.
    """

    SCRIPT = """
import sys, time, email
from aiosmtpd.controller import Controller
port, path = int(sys.argv[1]), sys.argv[2]
out = open(path, "a", buffering=1)
class Handler:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        key = (message.get("Message-ID") or "").strip("<>").split("@")[0]
        out.write(f"{time.monotonic()} {key} {session.peer[0]}:{session.peer[1]}\\n")
        return "250 Message accepted for delivery"
controller = Controller(Handler(), hostname="127.0.0.1", port=port)
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
"""

    def __init__(self, work: Path) -> None:
        self.port = free_port()
        self.path = work / "smtp-received.txt"
        self.path.touch()
        self.process = subprocess.Popen(
            [sys.executable, "-c", self.SCRIPT, str(self.port), str(self.path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError("the SMTP sink did not start")

    def received(self) -> list[tuple[float, str, str]]:
        rows = []
        for line in self.path.read_text().splitlines():
            parts = line.split()
            if len(parts) == 3:
                rows.append((float(parts[0]), parts[1], parts[2]))
        return rows

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> Iterator[int]:
    tree = _children()
    stack = [pid]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(tree.get(current, []))


def _name(pid: int) -> str:
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    text = " ".join(part.decode(errors="replace") for part in argv if part)
    if "gunicorn" in text:
        return "gunicorn"
    for word in ("runstack", "advisor_sample", "beat", "worker"):
        if word in text:
            return {"advisor_sample": "moto (demo)", "worker": "celery worker"}.get(word, word)
    return text[:40]


@dataclass
class Memory:
    # name -> [(rss MB, pss MB)] per process
    processes: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    @property
    def pss(self) -> float:
        return sum(p for rows in self.processes.values() for _r, p in rows)

    def summary(self) -> str:
        parts = []
        for name, rows in sorted(self.processes.items()):
            rss = "/".join(f"{r:.0f}" for r, _p in rows)
            parts.append(f"{name} {sum(p for _r, p in rows):.0f} (RSS {rss})")
        return "; ".join(parts)


def memory(root: int) -> Memory:
    found = Memory()
    for pid in descendants(root):
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
            name = _name(pid)
        except OSError:
            continue
        values = {line.split(":")[0]: int(line.split()[1]) for line in rollup[1:] if ":" in line}
        found.processes.setdefault(name, []).append(
            (values.get("Rss", 0) / 1024, values.get("Pss", 0) / 1024)
        )
    return found


def cpu_seconds(root: int) -> float:
    total = 0
    for pid in descendants(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def idle_cpu(root: int, seconds: float) -> float:
    """The stack's CPU over `seconds`, as a percentage of one core (processes that come and go
    meanwhile are missed; the stack starts none when idle)."""
    before = cpu_seconds(root)
    time.sleep(seconds)
    return 100 * (cpu_seconds(root) - before) / seconds


@dataclass
class Outcome:
    broker: str
    cases: int
    emails: int
    load_seconds: float
    received_during_load: int
    drain_seconds: float  # from the load's start to the last message
    received: int
    connections: int
    duplicates: int
    idle_before: Memory
    idle_after: Memory
    cpu_before: float
    cpu_after: float
    loadavg: tuple[float, float, float]

    def row(self) -> str:
        arrival = self.emails / self.load_seconds
        cases = self.cases / self.load_seconds
        during = self.received_during_load / self.load_seconds
        overall = self.received / self.drain_seconds if self.drain_seconds else 0.0
        backlog = self.emails - self.received_during_load
        after = self.drain_seconds - self.load_seconds
        return (
            f"| {self.broker} | {self.cases} | {self.emails} | {arrival:.1f} ({cases:.1f}) | "
            f"{during:.1f} | {overall:.1f} | "
            f"{backlog} | {after:.1f} | {self.received} ({self.duplicates} twice) | "
            f"{self.connections} | {self.idle_before.pss:.0f} | {self.idle_after.pss:.0f} | "
            f"{self.cpu_before:.2f} | {self.cpu_after:.2f} | "
            f"{' '.join(f'{x:.2f}' for x in self.loadavg)} |"
        )


def _bootstrap(env: dict[str, str]) -> dict[str, str]:
    user = seed(env, 0)
    if env.get("SUPPORTCENTER_DEMO") == "1":
        subprocess.run([sys.executable, "manage.py", "bootstrap"], cwd=ROOT, env=env, check=True)
    return user


def run_one(args: argparse.Namespace, broker: str) -> Outcome:
    work = Path(tempfile.mkdtemp(prefix="supportcenter-drain-"))
    sink = Sink(work)
    redis = Redis(work) if broker == "redis" else None
    overrides = {
        "SUPPORTCENTER_API_RATE_LIMIT": "0",
        "SUPPORTCENTER_CASE_CREATION_LIMIT": "0",
        "SUPPORTCENTER_EMAIL_BACKEND": "smtp",
        "SUPPORTCENTER_EMAIL_HOST": "127.0.0.1",
        "SUPPORTCENTER_EMAIL_PORT": str(sink.port),
        "SUPPORTCENTER_DEMO": "1" if args.demo else "0",
    }
    env = scratch_env(work / "data", **overrides)
    env.pop("SUPPORTCENTER_ADVISOR_SAMPLE_ENDPOINT", None)
    if redis is not None:
        env["CELERY_BROKER_URL"] = redis.url
    else:
        env.pop("CELERY_BROKER_URL", None)
    print(f"[{broker}] bootstrapping {env['SUPPORTCENTER_DATA_DIR']} ...", flush=True)
    user = _bootstrap(env)
    port = free_port()
    log = (work / "runstack.log").open("wb")
    stack = subprocess.Popen(
        [sys.executable, "manage.py", "runstack", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/livez")
        # Let the worker and beat (and moto's seeding) finish starting.
        time.sleep(args.settle)
        cpu_before = idle_cpu(stack.pid, args.idle)
        idle_before = memory(stack.pid)
        print(f"[{broker}] idle: {idle_before.pss:.0f} MB PSS, {cpu_before:.2f}% CPU", flush=True)

        clients = [
            support_client(base, user["accessKeyId"], user["secretAccessKey"])
            for _ in range(args.threads)
        ]
        per_thread = args.cases // args.threads
        total = per_thread * args.threads

        def create(index: int) -> None:
            client = clients[index]
            for _ in range(per_thread):
                client.create_case(**CREATE)

        started = time.monotonic()
        with ThreadPoolExecutor(args.threads) as pool:
            for future in [pool.submit(create, i) for i in range(args.threads)]:
                future.result()
        loaded = time.monotonic()
        during = sum(1 for t, _key, _peer in sink.received() if t <= loaded)
        print(
            f"[{broker}] {total} cases in {loaded - started:.1f} s; {during} emails received "
            "meanwhile; draining ...",
            flush=True,
        )
        # Every email the load queued (the demo's engineers may be told about cases too).
        expected = run_json(env, EXPECTED)
        deadline = time.monotonic() + args.max_wait
        while len(sink.received()) < expected and time.monotonic() < deadline:
            if stack.poll() is not None:
                raise RuntimeError(f"the stack stopped; see {work / 'runstack.log'}")
            time.sleep(0.2)
        rows = sink.received()
        last = max((t for t, _key, _peer in rows), default=loaded)
        received = len(rows)
        connections = len({peer for _t, _key, peer in rows})
        counts = Counter(key for _t, key, _peer in rows)
        time.sleep(args.settle)
        cpu_after = idle_cpu(stack.pid, args.idle)
        idle_after = memory(stack.pid)
        outcome = Outcome(
            broker=broker,
            cases=total,
            emails=expected,
            load_seconds=loaded - started,
            received_during_load=during,
            drain_seconds=last - started,
            received=received,
            connections=connections,
            duplicates=sum(1 for n in counts.values() if n > 1),
            idle_before=idle_before,
            idle_after=idle_after,
            cpu_before=cpu_before,
            cpu_after=cpu_after,
            loadavg=os.getloadavg(),
        )
        print(outcome.row(), flush=True)
        print(f"  idle before: {idle_before.summary()}\n  after: {idle_after.summary()}")
        return outcome
    finally:
        stack.send_signal(signal.SIGTERM)
        try:
            stack.wait(timeout=30)
        except subprocess.TimeoutExpired:
            for pid in reversed(list(descendants(stack.pid))):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        log.close()
        sink.stop()
        if redis is not None:
            redis.close()


def record(outcomes: list[Outcome], args: argparse.Namespace) -> str:
    lines = [
        f"### Email drain and the idle stack — {time.strftime('%Y-%m-%d')}",
        "",
        f"`manage.py runstack` as `make run` starts it ({database_name()}; "
        f"{'with' if args.demo else 'without'} the demo tenant and its moto server), email over "
        f"SMTP to an aiosmtpd sink on loopback; {args.threads} boto3 clients create "
        f"{args.cases} cases as fast as the API answers, one email each. Queued: emails (and "
        "cases) per second of load; delivery: emails received per second during the load, and "
        "overall from the load's start to the last email; backlog: emails not yet received "
        "when the "
        "load ended, drained in the next column's seconds. Memory is PSS (MB) summed over the "
        f"stack's processes; CPU is the whole stack's over {args.idle:.0f} s idle, in % of one "
        f"core. Machine: {os.cpu_count()} cores; load average (1, 5, 15 min) at the end of each "
        "run in the last column.",
        "",
        "| broker | cases | emails | emails queued /s (cases /s) | delivery during load /s | "
        "delivery overall /s | "
        "backlog at end of load | s to drain it | received | SMTP connections | "
        "PSS idle MB | PSS after MB | CPU idle % | CPU after % | load average |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *[o.row() for o in outcomes],
        "",
    ]
    for o in outcomes:
        lines.append(f"- {o.broker}, idle: {o.idle_before.summary()}.")
        lines.append(f"- {o.broker}, after the load: {o.idle_after.summary()}.")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench drain")
    parser.add_argument("--brokers", default="filesystem,redis")
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--demo", action="store_true", help="Run with the demo (and moto).")
    parser.add_argument("--idle", type=float, default=20.0, help="Seconds of idle CPU sampling.")
    parser.add_argument("--settle", type=float, default=10.0)
    parser.add_argument("--max-wait", type=float, default=900.0)
    parser.add_argument("--no-record", action="store_true", help="Print, do not append to docs.")
    args = parser.parse_args(argv)
    outcomes = []
    for broker in args.brokers.split(","):
        outcomes.append(run_one(args, broker))
        threading.Event().wait(1)
    publish(record(outcomes, args), record=not args.no_record)
