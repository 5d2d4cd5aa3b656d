"""AWS API fuzzing from botocore's support model: bodies of the right shape and their mutations
(wrong types, missing and extra members, boundary and huge lengths, random Unicode with lone
surrogates and NUL, NaN and Infinity, huge integers, deep nesting, random enum values, broken
bytes), signed with a valid key and sent to a real server. Every answer must be a success that
fits the operation's output shape or AWS's JSON error (`{"__type", "message"}`, 4xx), never a
5xx or HTML; afterwards the account's event history and its downloads must still answer.

    python -m bench fuzz [--requests 10000] [--seed 20261206] [--threads 4] [--no-record]

Starts gunicorn on a scratch database (as the other benchmarks do) and appends the tally to
docs/benchmarks.md. tests/awsapi/test_fuzz_model.py runs a few hundred of the same seeded cases
through Django's test client on every test run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.model import Shape
from django.conf import settings

from awsapi.extensions import EXTENSION_MEMBERS
from bench.common import (
    ROOT,
    api_user,
    database_name,
    free_port,
    publish,
    run_json,
    scratch_env,
    start_web,
    wait_http,
)
from bench.fuzz_model import (
    CONTENT_TYPE,
    DEFAULT_SEED,
    TARGET_PREFIX,
    Case,
    Generator,
    Pool,
    service_model,
)
from bench.pages import signed_in_opener

if not settings.configured:
    # This client judges answers with the product's strict JSON parser, whose refusal messages
    # are marked for translation at import: Django's translation machinery needs some settings,
    # not the product's (which would want its secret key).
    settings.configure(USE_I18N=False)

from core import safejson  # noqa: E402

# --- signing, sending and judging -------------------------------------------------------------


def signed_headers(
    operation: str, body: bytes, key: str, secret: str, host: str, region: str = "us-east-1"
) -> dict[str, str]:
    """The headers of a SigV4-signed call, as boto3 would send them."""
    request = AWSRequest(
        method="POST",
        url=f"http://{host}/",
        data=body,
        headers={"X-Amz-Target": f"{TARGET_PREFIX}.{operation}", "Content-Type": CONTENT_TYPE},
    )
    SigV4Auth(Credentials(key, secret), "support", region).add_auth(request)
    headers = {name: str(value) for name, value in request.headers.items()}
    headers["Host"] = host
    return headers


def _conforms(value: Any, shape: Shape | None, path: str) -> str | None:
    """Why `value` (a success's payload) does not fit `shape`, or None."""
    if shape is None or value is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return f"{path or 'answer'} is not an object"
        # Our documented extensions (awsapi/extensions.py) are the only members allowed beyond it.
        unknown = set(value) - set(shape.members) - EXTENSION_MEMBERS.get(shape.name, frozenset())
        if unknown:
            return f"{path or 'answer'} has members outside the model: {sorted(unknown)[:5]}"
        for name, member in shape.members.items():
            problem = _conforms(value.get(name), member, f"{path}.{name}".lstrip("."))
            if problem:
                return problem
        return None
    if kind == "list":
        if not isinstance(value, list):
            return f"{path} is not a list"
        for index, item in enumerate(value):
            problem = _conforms(item, shape.member, f"{path}[{index}]")
            if problem:
                return problem
        return None
    expected: dict[str, type | tuple[type, ...]] = {
        "string": str,
        "blob": str,
        "timestamp": (str, int, float),
        "boolean": bool,
        "integer": int,
        "long": int,
        "double": (int, float),
    }
    wanted = expected.get(kind)
    if wanted is not None and not isinstance(value, wanted):
        return f"{path} is not a {kind}"
    return None


def check_answer(operation: str, status: int, headers: dict[str, str], body: bytes) -> str | None:
    """Why an answer is not a valid success or AWS's JSON error, or None. `headers` are keyed in
    lower case."""
    if status >= 500:
        return f"HTTP {status}: {body[:200]!r}"
    if headers.get("content-type") != CONTENT_TYPE:
        return f"content type {headers.get('content-type')!r}"
    if not headers.get("x-amzn-requestid"):
        return "no x-amzn-RequestId"
    try:
        payload = safejson.loads(body, max_depth=64, allow_nul=True)
    except safejson.JsonRefused as refused:
        return f"answer is not strict JSON in UTF-8 ({refused.detail})"
    if status == 200:
        output = service_model().operation_model(operation).output_shape
        return _conforms(payload, output, "")
    if not isinstance(payload, dict) or set(payload) != {"__type", "message"}:
        return f"HTTP {status} without AWS's error shape: {body[:200]!r}"
    if not isinstance(payload["__type"], str) or not payload["__type"]:
        return f"HTTP {status} with no error code"
    if not isinstance(payload["message"], str):
        return f"HTTP {status} with a message that is not a string"
    return None


@dataclass
class Tally:
    by_mutation: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    codes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, case: Case, status: int, body: bytes, problem: str | None) -> None:
        with self.lock:
            counts = self.by_mutation[case.mutation]
            counts["requests"] += 1
            counts[f"{status // 100}xx"] += 1
            if status == 200:
                self.codes["(success)"] += 1
            else:
                try:
                    self.codes[str(json.loads(body).get("__type"))] += 1
                except (ValueError, AttributeError):
                    self.codes["(not JSON)"] += 1
            if problem:
                counts["bad"] += 1
                self.failures.append(
                    f"{case.operation} [{case.mutation}] {problem} <- {case.body[:160]!r}"
                )

    @property
    def total(self) -> int:
        return sum(c["requests"] for c in self.by_mutation.values())

    def count(self, column: str) -> int:
        return sum(c[column] for c in self.by_mutation.values())


Send = Callable[[Case, dict[str, str]], tuple[int, dict[str, str], bytes]]


def run_cases(
    cases: Iterator[Case],
    send: Send,
    sign: Callable[[Case], dict[str, str]],
    tally: Tally,
    pool: Pool,
) -> None:
    """Send each case, judge its answer, learn the ids a success hands out."""
    for case in cases:
        try:
            status, headers, body = send(case, sign(case))
        except Exception as error:  # a dropped connection is a finding, not the end of the run
            status, headers, body = 599, {}, repr(error).encode()
        problem = check_answer(case.operation, status, headers, body)
        tally.add(case, status, body, problem)
        if status == 200 and problem is None:
            pool.learn(json.loads(body))


# --- the benchmark ------------------------------------------------------------------------------


SEED_SCRIPT = """
import json, django
django.setup()
from io import StringIO
from django.core.management import call_command
from accounts.models import Account
{api_user}
print(json.dumps({{**user, "rootEmail": root.email}}))
"""


def _http_sender(host: str, port: int) -> Send:
    local = threading.local()

    def send(case: Case, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        for attempt in range(2):
            connection = getattr(local, "connection", None)
            if connection is None:
                connection = local.connection = http.client.HTTPConnection(host, port, timeout=120)
            try:
                connection.request("POST", "/", body=case.body, headers=headers)
                response = connection.getresponse()
                body = response.read()
                answer = {k.lower(): v for k, v in response.getheaders()}
                if answer.get("connection", "").lower() == "close":
                    connection.close()
                    local.connection = None
                return response.status, answer, body
            except (http.client.HTTPException, OSError):
                connection.close()
                local.connection = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    return send


def _history_checks(base: str, email: str) -> list[tuple[str, int, str]]:
    """The account's event history after the fuzz: every page and download must answer."""
    jar = signed_in_opener(base, email, "bench-password-1")
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    results = []
    for path in ("/cloudtrail/", "/cloudtrail/download.json", "/cloudtrail/download.csv"):
        try:
            with opener.open(base + path, timeout=300) as response:
                body = response.read()
                note = f"{len(body):,} bytes"
                if path.endswith(".json"):
                    records = safejson.loads(body, max_depth=200, allow_nul=True)["Records"]
                    note = f"{len(records):,} records, strict JSON"
                results.append((path, response.status, note))
        except urllib.error.HTTPError as error:
            results.append((path, error.code, "failed"))
    return results


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench fuzz")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    env = scratch_env(
        SUPPORTCENTER_API_RATE_LIMIT="0",
        SUPPORTCENTER_CASE_CREATION_LIMIT="0",
        SUPPORTCENTER_SIGNIN_FAILURE_LIMIT="1000",
    )
    subprocess.run([sys.executable, "manage.py", "bootstrap"], cwd=ROOT, env=env, check=True)
    user = run_json(env, SEED_SCRIPT.format(api_user=api_user("999900003333")))
    port = free_port()
    web = start_web(env, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    pool, tally = Pool(), Tally()
    try:
        wait_http(base + "/livez")
        send = _http_sender("127.0.0.1", port)
        host = f"127.0.0.1:{port}"

        def sign(case: Case) -> dict[str, str]:
            return signed_headers(
                case.operation, case.body, user["accessKeyId"], user["secretAccessKey"], host
            )

        per_thread = args.requests // args.threads
        started = time.perf_counter()
        threads = [
            threading.Thread(
                target=run_cases,
                args=(Generator(args.seed + n, pool).cases(per_thread), send, sign, tally, pool),
            )
            for n in range(args.threads)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        history = _history_checks(base, user["rootEmail"])
    finally:
        web.terminate()
        web.wait(timeout=30)
    publish(record(tally, history, args, seconds), record=not args.no_record)
    if tally.failures or tally.count("5xx") or any(status != 200 for _, status, _ in history):
        raise SystemExit(1)


def record(
    tally: Tally, history: list[tuple[str, int, str]], args: argparse.Namespace, seconds: float
) -> str:
    rows = [
        f"| {name} | {c['requests']:,} | {c['2xx']:,} | {c['4xx']:,} "
        f"| {c['5xx']:,} | {c['bad']:,} |"
        for name, c in sorted(tally.by_mutation.items())
    ]
    codes = ", ".join(f"{code} {count:,}" for code, count in tally.codes.most_common())
    verdict = (
        f"**{tally.count('5xx')} × 5xx, {len(tally.failures)} answers outside AWS's shapes** "
        f"in {tally.total:,} requests"
    )
    lines = [
        f"### AWS API fuzz — {time.strftime('%Y-%m-%d')}",
        "",
        f"{tally.total:,} requests generated from botocore's support model (seed {args.seed}, "
        f"{args.threads} client threads, one signed API key), every operation, valid-shaped "
        "bodies and their mutations; gunicorn with "
        f"{args.workers} workers x 4 threads on {database_name()}; {seconds:.0f} s. Machine: "
        f"{os.cpu_count()} cores, Python {platform.python_version()}. A request passes when the "
        "answer is a success that fits the operation's output shape or AWS's JSON error "
        "(`__type` and `message`, 4xx, `x-amzn-RequestId`, strict UTF-8 JSON).",
        "",
        verdict + ".",
        "",
        "| mutation | requests | 2xx | 4xx | 5xx | outside the shapes |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"Answers by `__type`: {codes}.",
        "",
        "The account's event history afterwards: "
        + "; ".join(f"`{path}` {status} ({note})" for path, status, note in history)
        + ".",
        "",
    ]
    if tally.failures:
        lines += ["First failures:", "", *[f"- `{f[:300]}`" for f in tally.failures[:10]], ""]
    return "\n".join(lines)
