"""The load of `python -m bench faults`: concurrent clients, each a thread.

API clients are real boto3 clients (standard retry mode, so ThrottlingException and 5xx answers
are retried as AWS SDKs do) each with its own access key, doing a CreateCase /
AddCommunicationToCase / DescribeCases mix; page clients are signed-in customers reading their
case list and cases. Every HTTP attempt is classified as the server answered it (a botocore
hook sees each retry), and every write carries a token in its text so the rows can be counted
against the calls that were acknowledged.
"""

from __future__ import annotations

import random
import re
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

CREATE = {
    "serviceCode": "amazon-elastic-compute-cloud-linux",
    "categoryCode": "instance-issue",
    "severityCode": "normal",
}
JSON_TYPE = "application/x-amz-json-1.1"


@dataclass
class Tally:
    """What the clients saw, shared by their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    # (call, outcome) for finished calls: "ok", an AWS error code, or an exception's name.
    calls: Counter = field(default_factory=Counter)
    # Every HTTP attempt, as the server answered it: "200", "400 ThrottlingException",
    # "503 ServiceUnavailableException", "500 non-JSON", "connection: ...".
    attempts: Counter = field(default_factory=Counter)
    # (monotonic time, ok) of every attempt, to see outages and recoveries.
    timeline: list = field(default_factory=list)
    latencies: dict = field(default_factory=dict)
    # Tokens of writes: acknowledged, and failed (the client saw an error; written or not).
    cases_acked: set = field(default_factory=set)
    cases_failed: set = field(default_factory=set)
    messages_acked: set = field(default_factory=set)
    messages_failed: set = field(default_factory=set)

    def attempt(self, kind: str, ok: bool) -> None:
        with self.lock:
            self.attempts[kind] += 1
            self.timeline.append((time.monotonic(), ok, kind))

    def call(self, name: str, outcome: str, seconds: float) -> None:
        with self.lock:
            self.calls[(name, outcome)] += 1
            if outcome == "ok":
                self.latencies.setdefault(name, []).append(seconds)

    def errors(self) -> Counter:
        """Failed calls by outcome (throttling retried until it succeeded is not a failure)."""
        return Counter({k: v for k, v in self.calls.items() if k[1] != "ok"})

    def requests(self) -> int:
        return sum(self.calls.values())


def _classify(response_dict: Any, parsed: Any, exception: Any) -> tuple[str, bool]:
    if exception is not None:
        return f"connection: {type(exception).__name__}", False
    status = response_dict["status_code"]
    if status == 200:
        return "200", True
    content_type = response_dict["headers"].get("content-type", "")
    if not content_type.startswith(JSON_TYPE):
        return f"{status} non-JSON ({content_type.split(';')[0] or 'no type'})", False
    code = (parsed or {}).get("Error", {}).get("Code", "?")
    return f"{status} {code}", False


def support_client(base: str, user: dict, attempts: int):  # type: ignore[no-untyped-def]
    return boto3.client(
        "support",
        endpoint_url=base,
        region_name="us-east-1",
        aws_access_key_id=user["accessKeyId"],
        aws_secret_access_key=user["secretAccessKey"],
        config=Config(
            retries={"mode": "standard", "max_attempts": attempts},
            max_pool_connections=2,
            read_timeout=120,
            connect_timeout=10,
        ),
    )


class ApiClient:
    def __init__(self, number: int, base: str, user: dict, tally: Tally, attempts: int) -> None:
        self.number = number
        self.tally = tally
        self.client = support_client(base, user, attempts)
        self.client.meta.events.register("response-received.support", self._seen)
        self.cases: list[str] = list(user.get("cases", []))
        self.sequence = 0
        self.random = random.Random(number)

    def _seen(self, response_dict: Any, parsed_response: Any, exception: Any, **_: Any) -> None:
        kind, ok = _classify(response_dict, parsed_response, exception)
        self.tally.attempt(kind, ok)

    def _token(self, prefix: str) -> str:
        self.sequence += 1
        return f"{prefix}{self.number}x{self.sequence}x{time.time_ns() % 10**9}"

    def step(self) -> None:
        roll = self.random.random()
        if roll < 0.2 or not self.cases:
            token = self._token("fc")
            self._call(
                "CreateCase",
                lambda: self.cases.append(
                    self.client.create_case(
                        subject=f"faults {token}",
                        communicationBody=f"Opened by the faults benchmark ({token}).",
                        **CREATE,
                    )["caseId"]
                ),
                token,
                self.tally.cases_acked,
                self.tally.cases_failed,
            )
        elif roll < 0.5:
            token = self._token("fm")
            case_id = self.random.choice(self.cases[-20:])
            self._call(
                "AddCommunicationToCase",
                lambda: self.client.add_communication_to_case(
                    caseId=case_id, communicationBody=f"faults reply {token}"
                ),
                token,
                self.tally.messages_acked,
                self.tally.messages_failed,
            )
        else:
            self._call("DescribeCases", lambda: self.client.describe_cases(maxResults=10))

    def _call(self, name, action, token=None, acked=None, failed=None) -> None:  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            action()
        except ClientError as error:
            outcome = error.response.get("Error", {}).get("Code", "ClientError")
        except Exception as error:  # connection trouble after the SDK's retries
            outcome = type(error).__name__
        else:
            outcome = "ok"
        self.tally.call(name, outcome, time.perf_counter() - started)
        if token is not None:
            with self.tally.lock:
                (acked if outcome == "ok" else failed).add(token)


class PageClient:
    """A signed-in customer reading the case list and the cases on it."""

    def __init__(self, number: int, base: str, jar: Any, tally: Tally) -> None:
        self.base = base
        self.tally = tally
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        self.detail: str | None = None
        self.random = random.Random(10_000 + number)

    def step(self) -> None:
        path = "/support/cases/"
        name = "case list page"
        if self.detail and self.random.random() < 0.5:
            path, name = self.detail, "case page"
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, timeout=120) as response:
                body = response.read().decode()
            outcome = (
                "ok" if response.status == 200 and "signin" not in response.url else "signed out"
            )
        except urllib.error.HTTPError as error:
            outcome = f"HTTP {error.code}"
        except Exception as error:
            outcome = type(error).__name__
        ok = outcome == "ok"
        self.tally.attempt(f"page {outcome}", ok)
        self.tally.call(name, outcome, time.perf_counter() - started)
        if ok and path == "/support/cases/":
            found = re.findall(r'href="(/support/cases/case-[^"/]+/)"', body)
            if found:
                self.detail = self.random.choice(found)
        if not ok:
            time.sleep(0.2)


class Load:
    """`clients` threads stepping their clients until `stop()`."""

    def __init__(self, clients: list[Any]) -> None:
        self.clients = clients
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(c,), daemon=True) for c in clients]

    def _run(self, client: Any) -> None:
        while not self.stopping.is_set():
            client.step()

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=300)

    def run_for(self, seconds: float) -> None:
        self.start()
        time.sleep(seconds)
        self.stop()
