"""`manage.py check --deploy` passes without a warning on the production settings `.env.example`
documents: its values, with what it marks as required for production (a secret key, the host
names, HTTPS behind the TLS proxy). Run in a process of its own, on the production settings
module (not the test one)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def production_env(data_dir: Path) -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "SYSTEMROOT"}
    env = {name: value for name, value in os.environ.items() if name in keep}
    env.update(env_example())
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "supportcenter.settings",
            "SUPPORTCENTER_DATA_DIR": str(data_dir),
            "SUPPORTCENTER_SECRET_KEY": secrets.token_urlsafe(50),
            "SUPPORTCENTER_ALLOWED_HOSTS": "support.example.com",
            "SUPPORTCENTER_CSRF_TRUSTED_ORIGINS": "https://support.example.com",
            "SUPPORTCENTER_SITE_URL": "https://support.example.com",
            "SUPPORTCENTER_HTTPS": "1",
            "SUPPORTCENTER_TRUSTED_PROXY_COUNT": "1",
        }
    )
    return env


def test_check_deploy_has_no_warnings_on_the_documented_production_settings(
    tmp_path: Path,
) -> None:
    assert env_example()["SUPPORTCENTER_DEBUG"] == "0"
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


def test_hsts_settings_come_from_the_environment(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    env.update(
        {
            "SUPPORTCENTER_HSTS_SECONDS": "600",
            "SUPPORTCENTER_HSTS_INCLUDE_SUBDOMAINS": "0",
            "SUPPORTCENTER_HSTS_PRELOAD": "0",
        }
    )
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.stdout.split() == ["600", "False", "False"], done.stderr
