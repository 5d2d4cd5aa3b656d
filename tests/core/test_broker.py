"""The embedded broker (kombu's filesystem transport) keeps up with a busy installation."""

from __future__ import annotations

import os

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


@pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("filesystem"), reason="the embedded broker only"
)
def test_a_message_is_never_seen_half_written(monkeypatch) -> None:
    # kombu created the message's file and then wrote it: a worker listing the folder in
    # between read it empty and stopped on the JSONDecodeError (python -m bench drain).
    from supportcenter import broker

    folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
    listed: list[list[str]] = []
    replace = os.replace

    def renamed(source: str, target: str) -> None:
        listed.append(os.listdir(folder))  # what a worker would find just before the rename
        replace(source, target)

    monkeypatch.setattr(broker.os, "replace", renamed)
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        assert isinstance(channel, broker.Channel)
        channel._put("probe", {"body": "whole"})
        assert not [name for name in listed[0] if name.endswith(".probe.msg")]
        assert channel._get("probe") == {"body": "whole"}


@pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("filesystem"), reason="the embedded broker only"
)
def test_connecting_warns_of_nothing(caplog) -> None:
    # `make run` printed kombu's "No hostname was supplied. Reverting to default 'localhost'"
    # as a WARNING from every process that connected: noise an operator takes for a fault.
    with caplog.at_level("WARNING"), app.connection_for_write() as connection:
        assert connection.default_channel is not None
        assert "localhost" in connection.as_uri()
    assert not [r for r in caplog.records if r.levelname == "WARNING"], caplog.text
