"""Type checking is part of the suite: mypy with django-stubs passes on the packages listed in
pyproject.toml's [tool.mypy] `files` (the style's core, cases, accounts and awsapi at least), the
same run as `make lint`. Slow (tens of seconds on a cold cache): deselect with `-m "not slow"`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STYLE_MINIMUM = {"core", "cases", "accounts", "awsapi"}


def _checked_packages() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["mypy"]["files"])


def test_checked_packages_include_the_style_minimum() -> None:
    assert STYLE_MINIMUM <= set(_checked_packages())


@pytest.mark.slow
def test_mypy_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    api = pytest.importorskip("mypy.api", reason="mypy is not installed (the test extra)")
    pytest.importorskip("mypy_django_plugin", reason="django-stubs is not installed")
    # The config's relative paths and the django-stubs settings module resolve from the root.
    monkeypatch.chdir(ROOT)
    stdout, stderr, status = api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),  # gitignored; warm runs take about a second
            *_checked_packages(),
        ]
    )
    assert status == 0, f"mypy failed (exit status {status}):\n{stdout}{stderr}"
