"""Redis stopped while cases are created: every case is saved, and every email goes out once
Redis is back (the outbox row was committed with the case; the sweep sends it)."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from cases.models import Case
from notifications.models import Notification
from notifications.tasks import notifications_sweep_task
from tests import factories
from tests.notifications.conftest import free_port

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")


def _redis(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            import socket

            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def _use_broker(app, url: str) -> None:
    app.conf.broker_url = url
    app.conf.task_publish_retry = False
    # Drop the cached connection and producer pools so the new URL is used.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def celery_app():
    from supportcenter.celery import app

    original = (app.conf.broker_url, app.conf.task_publish_retry)
    yield app
    app.conf.broker_url, app.conf.task_publish_retry = original
    # Drop the cached connection and producer pools so the new URL is used.
    app._pool = None
    app.amqp._producer_pool = None


def test_cases_and_emails_survive_a_broker_outage(
    smtp, business_account, root, celery_app, django_capture_on_commit_callbacks
) -> None:
    port = free_port()
    redis = _redis(port)
    _use_broker(celery_app, f"redis://127.0.0.1:{port}/0")
    redis.terminate()
    redis.wait(timeout=10)
    try:
        for index in range(100):
            # The on-commit publish fails (Redis is down); the request does not.
            with django_capture_on_commit_callbacks(execute=True):
                factories.make_case(business_account, root, subject=f"during the outage {index}")
        assert Case.objects.filter(subject__startswith="during the outage").count() == 100
        assert Notification.objects.filter(status="pending").count() == 100
        assert smtp.messages == []

        redis = _redis(port)
        _use_broker(celery_app, f"redis://127.0.0.1:{port}/0")
        # Publishing works again (this is what beat does every minute) ...
        notifications_sweep_task.delay()
        # ... and the sweep it triggers sends every email, once.
        assert notifications_sweep_task() == 100
        assert notifications_sweep_task() == 0
    finally:
        redis.terminate()
        redis.wait(timeout=10)
    assert len(smtp.messages) == 100
    assert len({message["Message-ID"] for _, message in smtp.messages}) == 100
    assert Notification.objects.filter(status="sent").count() == 100
