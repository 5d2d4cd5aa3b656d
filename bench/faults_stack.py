"""The processes `python -m bench faults` starts, stops and kills: a throwaway PostgreSQL cluster
and Redis (as .ci/run starts them), an SMTP server that counts what it receives (aiosmtpd), the
moto sample environment, and Support Center itself (gunicorn, a Celery worker, Celery beat, as
`manage.py runstack` starts them), each with its log in the run's work directory.
"""

from __future__ import annotations

import email
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import ROOT, free_port, wait_http

BIN = Path(sys.executable).parent


def _pg_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not versions:
        raise SystemExit("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb)")
    return versions[-1].parent


def _as_postgres(command: str) -> None:
    """PostgreSQL refuses to run as root: run its tools as the postgres user when we are root."""
    argv = ["su", "postgres", "-c", command] if os.geteuid() == 0 else ["sh", "-c", command]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{command} failed: {done.stderr or done.stdout}")


class Postgres:
    """A throwaway cluster in a temporary directory of its own, owned by the postgres user, on a
    free loopback port."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.work = work = Path(tempfile.mkdtemp(prefix="supportcenter-faults-pg-"))
        self.data = work / "pg"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(work, "postgres", "postgres")
        _as_postgres(f"{self.bin}/initdb -D {self.data} -U postgres -A trust --no-sync")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.work} -c listen_addresses=127.0.0.1"
        _as_postgres(
            f"{self.bin}/pg_ctl -D {self.data} -l {self.work}/pg.log -w -o '{options}' start"
        )

    def stop(self, mode: str = "fast") -> None:
        """`immediate` is a crash as far as clients can tell (recovery replays the WAL)."""
        _as_postgres(f"{self.bin}/pg_ctl -D {self.data} -m {mode} -w stop")

    def close(self) -> None:
        try:
            self.stop("immediate")
        except RuntimeError:
            pass
        shutil.rmtree(self.work, ignore_errors=True)


class Redis:
    def __init__(self, work: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxmemory-policy",
                "noeviction",
                "--logfile",
                str(work / "redis.log"),
            ],
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True
            ).stdout:
                return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class Smtp:
    """A real SMTP server on loopback (aiosmtpd) that counts the messages it accepts per
    Message-ID; it can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.last_received = 0.0
        self.controller = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = email.message_from_bytes(envelope.content)
        key = (message.get("Message-ID") or "").strip("<>").split("@")[0]
        with self.lock:
            self.received[key] += 1
            self.last_received = time.monotonic()
        return "250 Message accepted for delivery"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def sending(self, within: float = 0.5) -> bool:
        return time.monotonic() - self.last_received < within

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(self.received)


class Stack:
    """Support Center's processes for one run: moto (the sample AWS environment), gunicorn, the
    Celery worker and beat. The worker can be killed with SIGKILL (its whole process group, as
    an out-of-memory kill or a lost machine would) and started again."""

    def __init__(self, env: dict[str, str], work: Path, *, web_workers: int = 2) -> None:
        self.env = dict(env)
        self.work = work
        self.web_workers = web_workers
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, list[Path]] = {}
        self.worker_starts = 0
        self.worker_lock = threading.Lock()

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        log = self.work / f"{name}-{len(self.logs.get(name, []))}.log"
        self.logs.setdefault(name, []).append(log)
        with log.open("wb") as handle:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes[name] = process
        return process

    def start_moto(self) -> str:
        port = free_port()
        self._spawn("moto", [sys.executable, "manage.py", "advisor_sample", "--port", str(port)])
        url = f"http://127.0.0.1:{port}"
        self.env["SUPPORTCENTER_ADVISOR_SAMPLE_ENDPOINT"] = url
        self.env["SUPPORTCENTER_ADVISOR_SAMPLE_ENABLED"] = "1"
        # Seeded once the marker bucket exists (connections.sample._wait_until_seeded).
        deadline = time.monotonic() + 120
        while "Sample AWS environment" not in self.logs["moto"][0].read_text():
            if time.monotonic() > deadline or self.processes["moto"].poll() is not None:
                raise RuntimeError("the moto sample environment did not start")
            time.sleep(0.5)
        return url

    def start(self) -> str:
        port = free_port()
        self._spawn(
            "web",
            [
                str(BIN / "gunicorn"),
                "supportcenter.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(self.web_workers),
                "--threads",
                "4",
                "--graceful-timeout",
                "5",
                "--log-level",
                "warning",
            ],
        )
        self.start_worker()
        data = Path(self.env["SUPPORTCENTER_DATA_DIR"])
        self._spawn(
            "beat",
            [
                str(BIN / "celery"),
                "-A",
                "supportcenter",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(data / "celerybeat-schedule"),
                "--pidfile",
                str(data / "celerybeat.pid"),
            ],
        )
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/livez")
        return base

    def start_worker(self) -> None:
        self.worker_starts += 1
        self._spawn(
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "supportcenter",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--hostname",
                f"worker{self.worker_starts}@%h",
            ],
        )

    def kill_worker(self, *, down_for: float = 2.0, while_down=None) -> Any:  # type: ignore[no-untyped-def]
        """SIGKILL the worker and its pool, all at once (nothing gets to clean up), and start it
        again at least `down_for` seconds later; `while_down()` runs meanwhile (no worker can
        change anything then), and its answer is returned. One kill at a time."""
        with self.worker_lock:
            process = self.processes["worker"]
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            started = time.monotonic()
            seen = while_down() if while_down is not None else None
            time.sleep(max(0.0, started + down_for - time.monotonic()))
            self.start_worker()
            return seen

    def grep(self, text: str) -> dict[str, int]:
        """How many lines of each process's logs contain `text`."""
        found = {}
        for name, logs in self.logs.items():
            count = 0
            for log in logs:
                with log.open(errors="replace") as handle:
                    count += sum(1 for line in handle if text in line)
            if count:
                found[name] = count
        return found

    def close(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
