"""The operators' commands the README shows work as written, in a fresh shell, once `make run`
has set the data directory up (its secret key, the migrated database)."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
PYTHON = ROOT / ".venv" / "bin" / "python"

pytestmark = pytest.mark.skipif(not PYTHON.exists(), reason="the README's .venv is not set up")


def _operator_commands() -> list[str]:
    """Every command in the README's sh blocks that runs `.venv/bin/python manage.py`, with its
    continuation lines joined, optional `[...]` parts left out and `…` placeholders filled."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        text = re.sub(r"\\\n\s*", " ", block)
        for line in text.splitlines():
            line = line.strip()
            if "manage.py" not in line or line.startswith("#"):
                continue
            line = re.sub(r"\s*\[[^\]]*\]", "", line)
            commands.append(line.replace("…", "Operator-" + secrets.token_urlsafe(12)))
    return commands


def _fresh_env(data_dir: Path) -> dict[str, str]:
    """A login shell's environment: no SUPPORTCENTER_* or DJANGO_* variables but the data
    directory (here a scratch one instead of ./var)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "SUPPORTCENTER_DATA_DIR": str(data_dir),
        "SUPPORTCENTER_DEMO": "0",
    }


def _sh(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def test_the_readme_shows_operator_commands() -> None:
    commands = _operator_commands()
    assert any("create_api_user" in c for c in commands)
    assert any("createsuperuser --noinput" in c for c in commands)


def test_operator_commands_work_as_written_after_make_run(tmp_path: Path) -> None:
    # What `make run` leaves behind: the data directory's secret key and a bootstrapped database.
    (tmp_path / "secret_key").write_text(secrets.token_urlsafe(50))
    env = _fresh_env(tmp_path)
    key_file = f"SUPPORTCENTER_SECRET_KEY_FILE={tmp_path / 'secret_key'}"
    bootstrap = _sh(f"{key_file} .venv/bin/python manage.py bootstrap", env)
    assert bootstrap.returncode == 0, bootstrap.stderr

    ran = 0
    for command in _operator_commands():
        if "createsuperuser" in command and "--noinput" not in command:
            continue  # interactive: it asks for a password on a terminal
        result = _sh(command, env)
        assert result.returncode == 0, f"{command}\n{result.stderr}"
        if "create_api_user" in command:
            created = json.loads(result.stdout.strip().splitlines()[-1])
            assert created["accessKeyId"] and created["secretAccessKey"]
        ran += 1
    assert ran >= 3


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"PORT": "8123"}, "http://127.0.0.1:8123"),
        ({"HOST": "0.0.0.0", "PORT": "9000"}, "http://localhost:9000"),
        ({"PORT": "8123", "SUPPORTCENTER_SITE_URL": "https://support.example.com"}, None),
    ],
)
def test_email_links_follow_the_port_make_run_serves_on(tmp_path: Path, extra, expected) -> None:
    (tmp_path / "secret_key").write_text(secrets.token_urlsafe(50))
    env = {**_fresh_env(tmp_path), **extra}
    result = _sh(
        ".venv/bin/python -c 'import django, os;"
        ' os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportcenter.settings");'
        " django.setup(); from django.conf import settings; print(settings.SITE_URL)'",
        env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (expected or extra["SUPPORTCENTER_SITE_URL"])


def test_the_aws_cli_example_works_as_written(live_server, reference_data, tmp_path) -> None:
    """The README's `aws support` block, pasted into a fresh shell with the key the README's
    create_api_user printed: it needs the CLI, the key and a region, and must say so."""
    from accounts.principals import SYSTEM
    from accounts.services import access_key_create
    from tests import factories

    if not (ROOT / ".venv" / "bin" / "aws").exists():
        pytest.skip("awscli is not installed in the README's .venv (it is in the test extras)")
    user = factories.make_iam_user(factories.make_account("business"))
    key, secret = access_key_create(user=user, actor=SYSTEM)
    [block] = [b for b in re.findall(r"```sh\n(.*?)```", README, re.S) if "aws support" in b]
    script = (
        block.replace("ASCK…", key.access_key_id)
        .replace("AWS_SECRET_ACCESS_KEY=…", f"AWS_SECRET_ACCESS_KEY={secret}")
        .replace("http://127.0.0.1:8000", live_server.url)
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
    }
    result = _sh(script, env)
    assert result.returncode == 0, f"{script}\n{result.stderr}"
    assert json.loads(result.stdout) == {"cases": []}
