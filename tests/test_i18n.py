"""The Japanese translation is complete and compiled."""

from __future__ import annotations

import ast
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale" / "ja" / "LC_MESSAGES"


def test_every_string_is_translated() -> None:
    po = polib.pofile(str(LOCALE / "django.po"))
    assert po.percent_translated() == 100, [e.msgid for e in po.untranslated_entries()]
    assert not po.fuzzy_entries()


def test_compiled_catalog_matches_the_source() -> None:
    po = polib.pofile(str(LOCALE / "django.po"))
    mo = polib.mofile(str(LOCALE / "django.mo"))
    compiled = {entry.msgid: entry.msgstr for entry in mo}
    for entry in po.translated_entries():
        if not entry.msgid_plural:
            assert compiled.get(entry.msgid) == entry.msgstr, entry.msgid


def _noop_aliased_strings() -> list[tuple[str, str]]:
    """(module, text) of every `N_("...")` in the code: `gettext_noop` imported as N_, a name
    makemessages does not look for, so these messages reach the catalogue only by hand."""
    found = []
    for path in ROOT.rglob("*.py"):
        parts = set(path.relative_to(ROOT).parts)
        if parts & {".venv", "tests", "migrations", "bench"}:
            continue
        source = path.read_text()
        if "gettext_noop as N_" not in source:
            continue
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "N_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.append((str(path.relative_to(ROOT)), node.args[0].value))
    return found


def test_messages_marked_with_the_n_alias_are_translated() -> None:
    po = polib.pofile(str(LOCALE / "django.po"))
    translated = {entry.msgid for entry in po.translated_entries()}
    strings = _noop_aliased_strings()
    assert strings  # the scan finds them (connections, cloudtrail, advisor use the alias)
    assert [(module, text) for module, text in strings if text not in translated] == []
