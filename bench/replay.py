"""A load generator that costs the server's machine little: requests built (and for the AWS API,
SigV4-signed with botocore, as boto3 would send them) ahead of time, then replayed by a small
asyncio HTTP/1.1 client over keep-alive connections, like wrk replaying a request file.

A boto3 client spends a few milliseconds of CPU per call building, signing and parsing; on a
two-core machine that is CPU the server under test does not get, and it caps what a threaded
boto3 load can show. Here the signing happens before the clock starts and the client only
writes bytes and reads a status line, headers and a Content-Length body (about 0.1 ms of CPU
per call, reported beside each row).

The server's CPU per call is read from /proc/<pid>/stat (user + system time) of the server's
processes (gunicorn's master and its workers; moto_server's one process) before and after a
row, so it counts what the server spent, whatever the machine's other load.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

TARGET_PREFIX = "AWSSupport_20130415."
CONTENT_TYPE = "application/x-amz-json-1.1"
USER_AGENT = "Boto3/1.35 md/Botocore#1.35 ua/2.0 os/linux lang/python#3.11 (bench replay)"
TICKS = os.sysconf("SC_CLK_TCK")


def _raw(
    method: str, base: str, path: str, headers: Iterable[tuple[str, str]], body: bytes
) -> bytes:
    host = urlsplit(base).netloc
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers if name.lower() != "host"]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def api_requests(
    base: str, operation: str, params: dict, count: int, *, key: str, secret: str
) -> list[bytes]:
    """`count` calls of `operation`, each signed now (SigV4 allows 15 minutes of skew) and each
    with its own `amz-sdk-invocation-id`, so the server's record of idempotent calls never
    answers one from memory: every CreateCase creates a case."""
    signer = SigV4Auth(Credentials(key, secret), "support", "us-east-1")
    body = json.dumps(params).encode()
    requests = []
    for _ in range(count):
        request = AWSRequest(
            method="POST",
            url=base + "/",
            data=body,
            headers={
                "X-Amz-Target": TARGET_PREFIX + operation,
                "Content-Type": CONTENT_TYPE,
                "User-Agent": USER_AGENT,
                "amz-sdk-invocation-id": str(uuid.uuid4()),
                "amz-sdk-request": "attempt=1; max=1",
            },
        )
        signer.add_auth(request)
        requests.append(_raw("POST", base, "/", request.headers.items(), body))
    return requests


def page_requests(base: str, path: str, count: int, cookies: str = "") -> list[bytes]:
    """`count` GETs of `path` (the same bytes each time), with a session's cookies."""
    headers = [("User-Agent", "bench-replay"), ("Accept", "text/html")]
    if cookies:
        headers.append(("Cookie", cookies))
    return [_raw("GET", base, path, headers, b"")] * count


def cookie_header(jar: Iterable) -> str:
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """One response: its status, its body and whether the server closes the connection."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    status_line, *header_lines = head.split("\r\n")
    version, status = status_line.split(" ", 2)[:2]
    headers = {}
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunks.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(chunk[:-2] for chunk in chunks)
    else:
        body = await reader.read()
        return int(status), body, True
    connection = headers.get("connection", "").lower()
    close = connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive")
    return int(status), body, close


@dataclass
class Row:
    """One row of a benchmark: `calls` replayed over `connections` connections."""

    calls: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    server_cpu: float = 0.0  # seconds, the server's processes
    database_cpu: float = 0.0  # seconds, database and cache servers' processes (when known)
    client_cpu: float = 0.0  # seconds, this process
    reconnects: int = 0
    first_error: bytes = b""

    @property
    def per_second(self) -> float:
        return self.calls / self.seconds

    def quantile(self, q: float) -> float:
        """Milliseconds."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p95(self) -> float:
        return self.quantile(0.95)

    @property
    def server_ms(self) -> float:
        return self.server_cpu / self.calls * 1000

    @property
    def database_ms(self) -> float:
        return self.database_cpu / self.calls * 1000

    @property
    def client_ms(self) -> float:
        return self.client_cpu / self.calls * 1000


async def _replay(base: str, requests: list[bytes], connections: int, row: Row) -> None:
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    # Connected before the clock starts, as wrk does.
    streams = [await asyncio.open_connection(host, port) for _ in range(connections)]
    pending: Iterator[bytes] = iter(requests)

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # One iterator shared by every connection: each takes the next request when it is free
        # (asyncio runs one coroutine at a time, so next() needs no lock).
        for raw in pending:
            start = time.perf_counter()
            writer.write(raw)
            status, body, close = await _response(reader)
            row.latencies.append(time.perf_counter() - start)
            row.statuses[status] += 1
            if status >= 300 and not row.first_error:
                row.first_error = body[:500]
            if close:
                writer.close()
                row.reconnects += 1
                reader, writer = await asyncio.open_connection(host, port)
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection(reader, writer) for reader, writer in streams))
    row.seconds = time.perf_counter() - started
    row.calls = len(requests)


def replay(
    base: str,
    requests: list[bytes],
    *,
    connections: int,
    pids: list[int],
    database_pids: list[int] | None = None,
) -> Row:
    """Replay `requests` against `base` and measure the server processes `pids` and the
    database's `database_pids` (each with its children) meanwhile."""
    row = Row()
    database_pids = database_pids or []
    before, database = cpu_seconds(pids), cpu_seconds(database_pids)
    client = time.process_time()
    asyncio.run(_replay(base, requests, connections, row))
    row.client_cpu = time.process_time() - client
    row.server_cpu = cpu_seconds(pids) - before
    row.database_cpu = cpu_seconds(database_pids) - database
    return row


def _stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) is in parentheses and may hold spaces.
    return text[text.rindex(")") + 2 :].split()


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (gunicorn's workers are its master's children)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents.setdefault(int(_stat(int(entry.name))[1]), []).append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    tree, queue = [], [pid]
    while queue:
        current = queue.pop()
        tree.append(current)
        queue.extend(parents.get(current, []))
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """User + system time of the processes `pids` and their descendants, in seconds, with the
    time of the children they have reaped: a process that exits during a row (a PostgreSQL
    backend, an autovacuum worker) moves its time into its parent's, rather than out of the
    sum."""
    ticks = 0
    for root in pids:
        for pid in process_tree(root):
            try:
                fields = _stat(pid)
            except OSError:
                continue
            # utime, stime, cutime, cstime (fields 14 to 17 of proc(5)).
            ticks += sum(int(value) for value in fields[11:15])
    return ticks / TICKS
