"""Every benchmark `python -m bench` names loads and answers `--help`: a benchmark is run rarely,
so a name it imports that moved elsewhere would otherwise go unnoticed until someone needs it."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import BENCHMARKS

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_each_benchmark_loads_and_has_a_main(name: str) -> None:
    module = importlib.import_module(BENCHMARKS[name])
    assert callable(module.main)


def test_help_is_answered_without_running_anything() -> None:
    """Each benchmark runs as `python -m bench NAME` does, in a process without Django's settings
    (pytest's would hide an import that needs them), and answers --help."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    for name in sorted(BENCHMARKS):
        done = subprocess.run(
            [sys.executable, "-m", "bench", name, "--help"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, (name, done.stderr)
        assert "usage:" in done.stdout, name
