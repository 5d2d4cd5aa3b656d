"""Pages while the database is away (python -m bench faults restarts PostgreSQL under load):
503 with Retry-After, not a 500; the health probe says so in JSON. Here the session store and
the probe's cursor meet the OperationalError a restarting PostgreSQL raises."""

from __future__ import annotations

import json

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client


@pytest.fixture
def browser() -> Client:
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "a" * 32  # the session is loaded: the database is needed
    return client


def test_a_page_answers_503_while_the_database_is_away(db, browser, monkeypatch) -> None:
    def load(self):
        raise OperationalError("the database system is starting up")

    monkeypatch.setattr(SessionStore, "load", load)
    response = browser.get("/support/cases/")
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert b"Service Unavailable" in response.content
    assert b"starting up" not in response.content


def test_other_failures_are_still_a_500(db, browser, monkeypatch) -> None:
    def load(self):
        raise RuntimeError("a bug")

    monkeypatch.setattr(SessionStore, "load", load)
    response = browser.get("/support/cases/")
    assert response.status_code == 500
    assert not response.has_header("Retry-After")


def test_the_health_probe_reports_the_database(db, client, monkeypatch) -> None:
    assert json.loads(client.get("/healthz").content) == {"status": "ok"}

    def execute(self, sql, params=None):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(CursorWrapper, "execute", execute)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "database unavailable"}
