"""Every benchmark `python -m bench` names loads and answers `--help`: a benchmark is run rarely,
so a name it imports that moved elsewhere would otherwise go unnoticed until someone needs it."""

from __future__ import annotations

import importlib
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
    done = subprocess.run(
        [sys.executable, "-m", "bench", "lists", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "--data-dir" in done.stdout
