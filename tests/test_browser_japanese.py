"""The Japanese pass: on every main customer and console page in Japanese, no visible text is
still an English string the catalogue translates."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.urls import reverse

from accounts.principals import SYSTEM
from accounts.services import engineer_create
from tests import factories
from tests.test_browser import CHROMIUM, browser, watch_csp  # noqa: F401

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"
)

CATALOGUE = Path(__file__).resolve().parent.parent / "locale" / "ja" / "LC_MESSAGES" / "django.po"

# Every text node that is visible, whitespace collapsed.
VISIBLE_TEXTS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.replace(/\\s+/g, " ").trim();
    const element = node.parentElement;
    if (!text || !element || !element.checkVisibility()) continue;
    out.push(text);
  }
  return out;
}"""


def _translated_english() -> set[str]:
    """English strings of the interface that have a Japanese translation different from them
    (names that stay English in Japanese, like "Trusted Advisor", are left out)."""
    found = set()
    for entry in polib.pofile(str(CATALOGUE)):
        if entry.msgid_plural or "%" in entry.msgid or "{" in entry.msgid:
            continue
        if entry.translated() and entry.msgstr != entry.msgid and len(entry.msgid) > 2:
            found.add(entry.msgid)
    return found


def test_japanese_pages_show_no_translated_english(browser, live_server, reference_data) -> None:  # noqa: F811
    english = _translated_english()
    account = factories.make_account("enterprise")
    root = factories.root_of(account)
    case = factories.make_case(account, factories.principal(root), language="ja")
    engineer = engineer_create(
        email="ja-engineer@example.com", actor=SYSTEM, password=factories.PASSWORD
    )
    context = browser.new_context(locale="ja-JP", extra_http_headers={"Accept-Language": "ja"})
    violations = watch_csp(context)
    page = context.new_page()
    page.set_default_timeout(15000)
    found: list[str] = []

    def check(path: str) -> None:
        page.goto(live_server.url + path)
        for text in page.evaluate(VISIBLE_TEXTS):
            if text in english:
                found.append(f"{path}: {text!r}")

    page.goto(f"{live_server.url}/signin/")
    check("/signin/")
    page.locator("#id_email").fill(root.email)
    page.locator("#id_password").fill(factories.PASSWORD)
    page.locator("form button.primary").first.click()
    page.wait_for_load_state()
    for path in (
        reverse("cases:list"),
        reverse("cases:create"),
        reverse("cases:detail", args=[case.case_id]),
        reverse("cases:plan"),
        reverse("accounts:my-account"),
        reverse("accounts:mfa"),
        reverse("accounts:iam"),
        reverse("advisor:dashboard"),
        reverse("cloudtrail:history"),
        reverse("events:rules"),
        "/no-such-page/",
    ):
        check(path)
    context.clear_cookies()
    page.goto(f"{live_server.url}/signin/")
    page.locator("#id_email").fill(engineer.email)
    page.locator("#id_password").fill(factories.PASSWORD)
    page.locator("form button.primary").first.click()
    page.wait_for_load_state()
    for path in (
        reverse("console:queue"),
        reverse("console:case", args=[case.case_id]),
        reverse("console:inbox"),
        reverse("console:dashboard"),
        reverse("console:settings"),
    ):
        check(path)
    context.close()
    assert not violations
    assert not found, "\n".join(found)
