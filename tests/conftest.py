from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.utils import translation

from accounts.principals import Principal
from accounts.services import managed_policies_load
from catalog.services import reference_data_load
from tests import factories


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Every test writes attachment files into its own directory (Django's setting_changed
    handler resets the storage objects)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture(autouse=True)
def _fresh_language():
    """Each test starts in the default language: the test client runs requests in this thread,
    and a request's language (Accept-Language: ja) would otherwise stay active for later tests."""
    yield
    translation.deactivate()


class _Requests:
    """Requests the live server is still handling, counted from Django's request_started to the
    end of request_finished's receivers (the connection cleanup runs before this one's)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0

    def started(self, **_: Any) -> None:
        with self.lock:
            self.count += 1

    def finished(self, **_: Any) -> None:
        with self.lock:
            self.count -= 1

    def wait_idle(self, seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while self.count > 0 and time.monotonic() < deadline:
            time.sleep(0.02)


_REQUESTS = _Requests()
request_started.connect(_REQUESTS.started, dispatch_uid="tests-live-requests-started")
request_finished.connect(_REQUESTS.finished, dispatch_uid="tests-live-requests-finished")


@pytest.fixture(autouse=True)
def _live_server_idle(request):
    """A browser test's last request (an htmx poll from a page just closed) can still be running
    in the live server's thread when the test ends: the database's teardown must wait for it,
    or SQLite's flush meets its lock ("database table is locked") and the request meets a
    closed database. The database fixture is set up here, so it is torn down after the wait."""
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    _REQUESTS.wait_idle()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the reference data once; each test's transaction rolls back on top of it."""
    with django_db_blocker.unblock():
        reference_data_load()
        managed_policies_load()


@pytest.fixture
def reference_data(db):
    # Transactional tests flush the tables; put the reference data back when that happened.
    from catalog.models import SupportPlan

    if not SupportPlan.objects.exists():
        reference_data_load()
        managed_policies_load()


@pytest.fixture
def business_account(reference_data):
    return factories.make_account("business")


@pytest.fixture
def other_account(reference_data):
    return factories.make_account("business")


@pytest.fixture
def root(business_account) -> Principal:
    return factories.principal(factories.root_of(business_account))


# No test may ask the machine's instance-metadata service for the server's credentials: off a
# cloud host each such lookup waits out its timeout (a role saved without server credentials
# asks STS who the server is).
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def engineer(reference_data) -> Principal:
    return factories.principal(factories.make_engineer())


@pytest.fixture(scope="session")
def moto_server_url():
    """One in-process moto server for the run (moto's state is per process anyway)."""
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    from connections.sample import start_server

    server, url = start_server()
    yield url
    server.stop()


@pytest.fixture
def aws(moto_server_url, settings):
    """A clean moto account that key connections (tests.moto_aws.connect_keys) reach."""
    import requests

    from connections.own_account import server_identity_forget
    from tests.moto_aws import MotoAccount

    requests.post(f"{moto_server_url}/moto-api/reset", timeout=10).raise_for_status()
    settings.ADVISOR_AWS_ENDPOINT_URL = moto_server_url
    # What the server learned of its own account came from the moto state just wiped.
    server_identity_forget()
    return MotoAccount(moto_server_url)


@pytest.fixture
def aws_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every AWS operation botocore clients in this process call, as (name, parameters), in
    order (the moto server answering them is not a botocore client)."""
    import botocore.client

    calls: list[tuple[str, dict[str, Any]]] = []
    original = botocore.client.BaseClient._make_api_call

    def spy(self: Any, operation: str, params: dict[str, Any]) -> Any:
        calls.append((operation, params))
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    return calls


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, list[str]]], list[str]]:
    """Call with {host name: [IP addresses]} to answer socket.getaddrinfo for those names (other
    names resolve as usual); an errno instead of the addresses (socket.EAI_NONAME, EAI_AGAIN)
    fails the lookup as DNS does. Returns the list of the faked names looked up, in order."""

    def install(answers: dict[str, list[str] | int]) -> list[str]:
        real = socket.getaddrinfo
        lookups: list[str] = []

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
            if host not in answers:
                return real(host, port, *args, **kwargs)
            lookups.append(host)
            answer = answers[host]
            if isinstance(answer, int):
                raise socket.gaierror(answer, "Name or service not known")
            return [
                (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port, 0, 0))
                if ":" in ip
                else (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port))
                for ip in answer
            ]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        return lookups

    return install
