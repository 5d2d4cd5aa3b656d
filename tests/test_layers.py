"""The apps' layers are a contract (.importlinter, checked by import-linter): an app imports only
the apps below it, type-checking imports and imports inside functions included. An import
against the order fails this test; docs/ARCHITECTURE.md says where code belongs instead."""

from __future__ import annotations

import configparser
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".importlinter"


def test_every_app_imports_only_the_layers_below_it(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(CONFIG), no_cache=True) == 0


def test_every_app_is_in_a_layer() -> None:
    """A new app cannot slip past the contract by being left out of it."""
    config = configparser.ConfigParser()
    config.read(CONFIG)
    roots = set(config["importlinter"]["root_packages"].split())
    layered = {
        name.strip()
        for line in config["importlinter:contract:layers"]["layers"].split("\n")
        for name in line.split("|")
        if name.strip()
    }
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert apps == roots == layered
