"""An UPDATE on its way before its answer is read (core.inflight), as the email outbox stamps a
row at the instant the SMTP server gets the end of a message."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from cases.models import Case
from core.inflight import update_in_flight
from tests import factories


def test_the_update_happens_and_counts_its_rows(business_account, root) -> None:
    case = factories.make_case(business_account, root, subject="before")
    finish = update_in_flight(Case.objects.filter(pk=case.pk), subject="after")
    assert finish() == 1
    assert Case.objects.get(pk=case.pk).subject == "after"
    assert update_in_flight(Case.objects.filter(pk=-1), subject="nothing")() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs it at once")
@pytest.mark.django_db(transaction=True)
def test_postgresql_commits_it_before_the_answer_is_read(business_account, root) -> None:
    import psycopg

    case = factories.make_case(business_account, root, subject="before")
    finish = update_in_flight(Case.objects.filter(pk=case.pk), subject="after")
    # Another session sees the change while this one has not read the answer (a worker killed
    # here leaves the stamp behind).
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            row = other.execute(
                f"SELECT subject FROM {Case._meta.db_table} WHERE id = %s", [case.pk]
            ).fetchone()
            if row and row[0] == "after":
                break
            time.sleep(0.01)
        assert row == ("after",)
    assert finish() == 1
    # The connection is usable as usual afterwards.
    assert Case.objects.get(pk=case.pk).subject == "after"
