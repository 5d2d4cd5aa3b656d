"""The embedded broker (kombu's filesystem transport) keeps up with a busy installation."""

from __future__ import annotations

import pytest
from django.conf import settings

from supportcenter.celery import app


@pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("filesystem"), reason="the embedded broker only"
)
def test_the_worker_looks_at_the_queue_folder_often() -> None:
    # A worker takes as many messages as it may prefetch (one per process) and then waits
    # `polling_interval` before looking again: at kombu's default of a second, two processes
    # ran two tasks a second, and a load of 100 clients queued emails faster than that for as
    # long as it lasted (python -m bench faults).
    with app.connection_for_read() as connection:
        assert connection.transport.polling_interval <= 0.1
