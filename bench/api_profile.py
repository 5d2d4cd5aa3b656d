"""The API's hot path under cProfile: signed calls (as `bench.replay` signs them) run through
Django's WSGI handler in one process, no server or network in between, so the profile holds
only what the product does per call. Run inside a Django process of the benchmark's
environment (`bench.api --profile` starts it); import only after `django.setup()`.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import time
from pathlib import Path
from typing import Any

from django.core.handlers.wsgi import WSGIHandler
from django.db import connection

from bench.replay import api_requests

ROOT = Path(__file__).resolve().parent.parent
BASE = "http://127.0.0.1:8000"


def _environ(raw: bytes) -> dict[str, Any]:
    """The WSGI environ gunicorn would build from one replayed request."""
    head, _, body = raw.partition(b"\r\n\r\n")
    request_line, *lines = head.decode("latin-1").split("\r\n")
    method, path, _ = request_line.split(" ")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }
    for line in lines:
        name, _, value = line.partition(": ")
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
        else:
            environ["HTTP_" + key] = value
    return environ


def _call(app: WSGIHandler, environ: dict[str, Any]) -> None:
    statuses: list[str] = []
    body = b"".join(app(environ, lambda status, headers: statuses.append(status)))
    if not statuses[0].startswith("200"):
        raise RuntimeError(f"{statuses[0]}: {body[:300]!r}")


def _label(key: tuple[str, int, str]) -> str:
    filename, line, name = key
    path = Path(filename)
    if filename.startswith(str(ROOT)) and ".venv" not in path.parts:
        return f"{path.relative_to(ROOT)}:{line}({name})"
    parts = path.parts
    if "site-packages" in parts:
        return "/".join(parts[parts.index("site-packages") + 1 :]) + f":{line}({name})"
    if filename == "~":
        return name
    return f"{path.name}:{line}({name})"


def _ours(key: tuple[str, int, str]) -> bool:
    path = Path(key[0])
    return key[0].startswith(str(ROOT)) and ".venv" not in path.parts and "bench" not in path.parts


def _table(stats: pstats.Stats, calls: int, pick, sort: int, limit: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Rows `ms per call (cumulative) | ms per call (own) | calls per call | function`."""
    entries = [
        (key, value)
        for key, value in stats.stats.items()
        if pick(key)  # type: ignore[attr-defined]
    ]
    entries.sort(key=lambda item: item[1][sort], reverse=True)
    rows = []
    for key, (_, ncalls, own, cumulative, _) in entries[:limit]:
        rows.append(
            f"{cumulative / calls * 1000:8.3f} {own / calls * 1000:8.3f} "
            f"{ncalls / calls:6.1f}  {_label(key)}"
        )
    return rows


def profile(operation: str, params: dict, *, key: str, secret: str, calls: int) -> dict[str, Any]:
    app = WSGIHandler()
    warm = api_requests(BASE, operation, params, 20, key=key, secret=secret)
    for raw in warm:
        _call(app, _environ(raw))
    # Counted by a wrapper on the connection: Django empties `queries_log` when a request
    # starts, and the handler closes SQLite's connection when it ends.
    queries: list[str] = []
    with connection.execute_wrapper(
        lambda execute, sql, *rest: queries.append(sql[:140]) or execute(sql, *rest)
    ):
        _call(app, _environ(api_requests(BASE, operation, params, 1, key=key, secret=secret)[0]))
    environs = [
        _environ(raw)
        for raw in api_requests(BASE, operation, params, calls, key=key, secret=secret)
    ]
    started, cpu = time.perf_counter(), time.process_time()
    for environ in environs[: calls // 2]:
        _call(app, environ)
    plain_ms = (time.process_time() - cpu) / (calls // 2) * 1000
    profiler = cProfile.Profile()
    profiler.enable()
    for environ in environs[calls // 2 :]:
        _call(app, environ)
    profiler.disable()
    profiled = calls - calls // 2
    stats = pstats.Stats(profiler)
    header = " ms cum.  ms own  calls  function (per call)"
    return {
        "operation": operation,
        "calls": profiled,
        "cpu_ms": plain_ms,
        "wall_s": time.perf_counter() - started,
        "queries": queries,
        "ours": [header, *_table(stats, profiled, _ours, 3, 30)],
        "own": [header, *_table(stats, profiled, lambda key: True, 2, 20)],
    }
