"""On PostgreSQL each connection prepares the statements it runs often (server-side binding,
psycopg's prepare_threshold; `SUPPORTCENTER_DATABASE_PREPARED_STATEMENTS`, on unless a pooler
rules it out). The settings are read in a process of their own, as the environment sets them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from accounts.models import Account

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = (
    "import json, django\n"
    "django.setup()\n"
    "from django.conf import settings\n"
    "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
)


def options(tmp_path: Path, **env: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env={
            **{name: value for name, value in os.environ.items() if name in {"PATH", "HOME"}},
            "DJANGO_SETTINGS_MODULE": "supportcenter.settings",
            "SUPPORTCENTER_DATA_DIR": str(tmp_path),
            "SUPPORTCENTER_SECRET_KEY": "test-secret-key-not-for-production",
            **env,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_postgresql_binds_on_the_server_and_prepares_unless_turned_off(tmp_path) -> None:
    url = "postgres://support:secret@db.example.com:5432/support"
    assert options(tmp_path, DATABASE_URL=url) == {
        "server_side_binding": True,
        "prepare_threshold": 5,
    }
    # Behind PgBouncer in transaction mode: Django's defaults (client-side binding, nothing
    # prepared).
    off = options(tmp_path, DATABASE_URL=url, SUPPORTCENTER_DATABASE_PREPARED_STATEMENTS="0")
    assert off == {}


def test_sqlite_is_left_alone(tmp_path) -> None:
    assert "server_side_binding" not in options(tmp_path)


@pytest.mark.skipif(
    connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS,
    reason="PostgreSQL's prepared statements",
)
def test_a_statement_run_often_is_prepared(db) -> None:
    # A count of accounts by a value psycopg binds: the same text each time.
    for account_id in range(6):
        Account.objects.filter(account_id=str(account_id)).count()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['SELECT COUNT(*) AS "__count" FROM "accounts_account"%'],
        )
        assert cursor.fetchone()[0] == 1
