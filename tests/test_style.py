"""House rules that a reader should not have to check by hand (docs/STYLE.md)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Not ours to split: what make creates, generated migrations, and the benchmarks' log.
SKIPPED_DIRS = {".git", ".venv", "var", "staticfiles", "node_modules", "migrations", "__pycache__"}
SKIPPED_FILES = {ROOT / "docs" / "benchmarks.md"}
SOURCE_SUFFIXES = {".py", ".html", ".js", ".css", ".md", ".txt"}
MAX_LINES = 500


def _sources() -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(ROOT):
        # Pruned in place, so the walk never enters a virtualenv or the data directory.
        dirs[:] = [name for name in dirs if name not in SKIPPED_DIRS]
        for name in files:
            path = Path(folder) / name
            if path.suffix in SOURCE_SUFFIXES and path not in SKIPPED_FILES:
                found.append(path)
    return found


def test_no_file_is_over_500_lines() -> None:
    """STYLE rule 4: a module past 500 lines is split by sub-domain."""
    long = {
        str(path.relative_to(ROOT)): count
        for path in _sources()
        if (count := len(path.read_text(encoding="utf-8", errors="replace").splitlines()))
        > MAX_LINES
    }
    assert long == {}
