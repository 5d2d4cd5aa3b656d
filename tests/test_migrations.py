"""Migrations move tables between apps without losing a row: a database made by the schema before
the structural step is filled, migrated to today's schema and read back (tests/migration_probe.py,
in a process and a database of its own: SQLite here, a scratch PostgreSQL database when the
suite runs on PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import dj_database_url
import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def scratch_database_url(tmp_path: Path) -> Iterator[str]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'before.sqlite3'}"
        return
    import psycopg

    config = dj_database_url.parse(url)
    name = f"scmigration_{uuid.uuid4().hex[:12]}"
    server = {
        "host": config["HOST"],
        "port": config["PORT"] or 5432,
        "user": config["USER"],
        "password": config["PASSWORD"] or None,
        "dbname": config["NAME"],
        "autocommit": True,
    }
    with psycopg.connect(**server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(**server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_a_database_of_the_earlier_schema_migrates_without_losing_rows(
    scratch_database_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": scratch_database_url,
        "SUPPORTCENTER_TEST_DATA_DIR": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "migration_probe.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {
        "plans": ["business"],
        "plan_name_ja": ["ビジネス"],
        "matrix": [
            ["business", "high", 525600],
            ["business", "low", 1440],
            ["business", "urgent", 60],
        ],
        "account_plan": "business",
        "case_severity": "urgent",
        "category_label_ja": "インスタンス ID",
        "help_links": [
            {
                "title": "Managing an AWS account",
                "title_ja": "AWS アカウントの管理",
                "url": "https://docs.aws.amazon.com/accounts/latest/reference/managing-accounts.html",
            },
            {"title": "Our account runbook", "url": "https://wiki.example.com/accounts"},
            {
                "title": "Managing accounts (internal notes)",
                "url": "https://docs.aws.amazon.com/accounts/latest/reference/managing-accounts.html",
            },
        ],
        "names_ja": [
            ["Account", "アカウント"],
            ["EC2", ""],
            ["Instance issue", ""],
            ["Other Account Issues", "その他のアカウントの問題"],
        ],
        "case_severity_level": [4, 4],
        "audit": [["CreateCase", "111122223333"], ["PurgeCases", ""]],
        "trail": ["org-trail", "111122223333", 1],
        "connection": ["111122223333", "arn:aws:iam::111122223333:role/Advisor"],
        "notification": [
            "case-111122223333-muen-2026-0123456789abcdef",
            "111122223333",
        ],
        "search": [[1000001], [1000001], []],
        "search_in_account": [1000001],
        "policy_versions": [["ReadCases", "v1", 1, {"Statement": []}, True]],
    }


@pytest.mark.django_db
def test_the_models_and_their_migrations_agree() -> None:
    # A model change without its migration (a translated verbose name is one) would leave it to
    # the next `makemigrations` to write, unreviewed, into whatever change came next.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
