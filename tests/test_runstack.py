"""`make run`'s two steps, for real: bootstrap a fresh data directory, start the stack (web,
worker, beat as processes), answer on / and run a task through the broker, stop on Ctrl-C.

Uses the environment's broker and database, so CI's second run covers Redis and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 4 (after the parenthesised command name) is the parent pid.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc")
def test_bootstrap_and_runstack(tmp_path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "supportcenter.settings",
        "SUPPORTCENTER_DATA_DIR": str(tmp_path / "var"),
        "SUPPORTCENTER_SECRET_KEY": "runstack-test-secret",
        "SUPPORTCENTER_DEMO": "1",
        "PORT": str(port),
        # The scripted test case below answers and resolves within seconds.
        "SUPPORTCENTER_TEST_CASE_DELAY": "1",
        "SUPPORTCENTER_TEST_CASE_RESOLVE_DELAY": "1",
    }
    python = sys.executable

    def bootstrap() -> subprocess.CompletedProcess:
        result = subprocess.run(
            [python, "manage.py", "bootstrap"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return result

    assert "Demo tenant" in bootstrap().stdout
    # Idempotent: a second bootstrap creates nothing.
    again = bootstrap()
    assert "0 rows created" in again.stdout and "already loaded" in again.stdout

    log_path = tmp_path / "stack.log"
    with log_path.open("wb") as log:
        stack = subprocess.Popen(
            [python, "manage.py", "runstack"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def healthy() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False

        _wait_for(healthy, 60, "the web server")
        # gunicorn runs with supportcenter.gunicorn_config: no Server banner; the policy is on.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert response.headers.get("Server") is None
            assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        output = log_path.read_text()
        assert f"http://127.0.0.1:{port}/" in output
        assert "root+business@example.com" in output
        children = _children(stack.pid)
        assert len(children) == 4  # web, worker, beat, and the moto sample AWS environment

        # A task published from another process reaches the worker through the broker.
        send = subprocess.run(
            [
                python,
                "-c",
                "import django; django.setup(); "
                "from cases.tasks import attachment_sets_purge_expired_task as t; t.delay()",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert send.returncode == 0, send.stderr
        _wait_for(
            lambda: (
                "attachment_sets_purge_expired_task" in log_path.read_text()
                and "succeeded" in log_path.read_text()
            ),
            60,
            "the worker to run the task",
        )
        _wait_for(lambda: "beat: Starting" in log_path.read_text(), 30, "beat")

        def counts(model: str, field: str) -> dict[str, int]:
            """Rows of `model` per value of `field`, read by a separate process."""
            script = (
                "import django, json; django.setup(); from django.apps import apps; "
                "from django.db.models import Count; print(json.dumps(dict("
                f"apps.get_model('{model}').objects.values_list('{field}')"
                ".annotate(n=Count('id')))))"
            )
            done = subprocess.run(
                [python, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
            )
            assert done.returncode == 0, done.stderr
            return json.loads(done.stdout.strip().splitlines()[-1])

        # The demo tenant's first Trusted Advisor runs (queued by bootstrap) compute against the
        # sample environment in the worker and all succeed.
        def advisor_states() -> dict[str, int]:
            return counts("advisor.CheckState", "refresh_status")

        _wait_for(
            lambda: set(advisor_states()) <= {"success", "abandoned"},
            240,
            "the demo's Trusted Advisor runs",
        )
        states = advisor_states()
        assert states.get("abandoned", 0) == 0, log_path.read_text()[-3000:]
        assert states["success"] > 20

        # Their item events reach the demo rule's SQS queue in the sample environment.
        def deliveries() -> dict[str, int]:
            return counts("events.EventDelivery", "status")

        _wait_for(
            lambda: (
                deliveries().get("delivered", 0) > 0
                and set(deliveries()) <= {"delivered", "failed"}
            ),
            120,
            "the demo's event deliveries",
        )
        assert deliveries().get("failed", 0) == 0, log_path.read_text()[-3000:]

        # Test mode end to end, through boto3 and the worker: a "TEST CASE--Please ignore" gets
        # the scripted answer, waits for the customer, and is resolved with a closing answer.
        made = subprocess.run(
            [python, "manage.py", "create_api_user", "--account-id", "777766665555"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert made.returncode == 0, made.stderr
        key = json.loads(made.stdout.strip().splitlines()[-1])
        support = boto3.client(
            "support",
            region_name="us-east-1",
            endpoint_url=f"http://127.0.0.1:{port}/",
            aws_access_key_id=key["accessKeyId"],
            aws_secret_access_key=key["secretAccessKey"],
        )
        case_id = support.create_case(
            subject="TEST CASE--Please ignore",
            serviceCode="amazon-elastic-compute-cloud-linux",
            categoryCode="instance-issue",
            severityCode="low",
            communicationBody="Testing our integration.",
        )["caseId"]

        def status() -> str:
            found = support.describe_cases(caseIdList=[case_id], includeResolvedCases=True)
            return found["cases"][0]["status"]

        _wait_for(lambda: status() == "resolved", 120, "the scripted test case's resolution")
        messages = support.describe_communications(caseId=case_id)["communications"]
        assert len(messages) == 3, messages  # the customer's, the answer and the closing one
    finally:
        stack.send_signal(signal.SIGINT)
        try:
            stack.wait(timeout=30)
        except subprocess.TimeoutExpired:
            stack.kill()
            raise
    assert stack.returncode == 0, log_path.read_text()[-3000:]
    for pid in children:
        assert not _alive(pid), f"child {pid} still running"
