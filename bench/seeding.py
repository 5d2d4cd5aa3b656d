"""Seeding shared by the benchmarks that measure one account with many cases (`api`, `pages`,
`scale`): a data directory that can be measured again (`--data-dir`), the account with an API
user and a root user who can sign in, and bulk-inserted cases, added up to a size
(`bench.seeding_db`, run in a Django process of the benchmark's environment).
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import ROOT, api_user, run_json, scratch_env

PASSWORD = "bench-password-1"
ENGINEER = "bench-engineer@example.com"
ACCOUNT = "999900001111"


def data_env(data_dir: Path | None = None, **overrides: str) -> dict[str, str]:
    """`scratch_env` for a data directory that keeps its secret key (in the directory), so the
    API user's secret, encrypted with a key derived from it, still verifies when the directory
    is measured again."""
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="supportcenter-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    key_file = data_dir / "bench-secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(40))
        key_file.chmod(0o600)
    return scratch_env(data_dir, SUPPORTCENTER_SECRET_KEY=key_file.read_text().strip(), **overrides)


def bootstrap(env: dict[str, str]) -> None:
    """Migrate and load the reference data (again, harmlessly, for a directory seeded before)."""
    subprocess.run(
        [sys.executable, "manage.py", "bootstrap"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def account_setup(env: dict[str, str], account_id: str = ACCOUNT) -> dict[str, str]:
    """The enterprise account `account_id` with an API user (its key, as create_api_user prints
    it) and a root user whose password is PASSWORD (`rootEmail`), and the support engineer
    ENGINEER; remembered in the data directory, so a second run reuses the key."""
    state = Path(env["SUPPORTCENTER_DATA_DIR"]) / f"bench-account-{account_id}.json"
    if state.exists():
        return json.loads(state.read_text())
    script = f"""
import json, django
django.setup()
from io import StringIO
from django.core.management import call_command
from accounts.models import Account
from bench.seeding_db import engineer_ensure
{api_user(account_id)}
engineer_ensure("{ENGINEER}", "{PASSWORD}")
user["rootEmail"] = root.email
print(json.dumps(user))
"""
    user = run_json(env, script)
    state.write_text(json.dumps(user))
    return user


def cases_top_up(
    env: dict[str, str],
    total: int,
    *,
    account_id: str = ACCOUNT,
    stale_share: float = 0.0,
    old_share: float = 0.0,
) -> dict[str, Any]:
    """Bulk-insert cases until the account holds `total` (see `seeding_db.cases_top_up`)."""
    arguments = {
        "account_id": account_id,
        "total": total,
        "stale_share": stale_share,
        "old_share": old_share,
    }
    script = (
        "import json, django\ndjango.setup()\n"
        "from bench.seeding_db import cases_top_up\n"
        f"print(json.dumps(cases_top_up(**{arguments!r})))"
    )
    return run_json(env, script)


def seed(env: dict[str, str], cases: int) -> dict[str, str]:
    """Migrate the environment's database, set up the benchmark account and bulk-load `cases`
    cases into it (with one communication each); returns the API user with `rootEmail`."""
    bootstrap(env)
    user = account_setup(env)
    cases_top_up(env, cases)
    return user
