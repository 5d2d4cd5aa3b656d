"""Screenshots of the main pages at 375 px and 1,280 px for docs/screenshots/ (the README shows
them). Written only when asked: `make screenshots` (SUPPORTCENTER_SCREENSHOTS=1); otherwise
skipped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.principals import SYSTEM
from accounts.services import engineer_create
from cases import services as case_services
from tests import factories
from tests.test_browser import CHROMIUM, browser, sign_in_root  # noqa: F401

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
WIDTHS = {"phone": (375, 812), "desktop": (1280, 900)}

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("SUPPORTCENTER_SCREENSHOTS") != "1", reason="make screenshots only"
    ),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


def test_screenshots(browser, live_server, reference_data) -> None:  # noqa: F811
    account = factories.make_account("enterprise")
    root = factories.root_of(account)
    actor = factories.principal(root)
    case = factories.make_case(
        account,
        actor,
        subject="Production database unreachable from the web tier",
        severity_code="urgent",
        body="Since 09:12 UTC the web servers time out connecting to the primary database.",
    )
    case_services.case_add_communication(
        case=case, actor=actor, body="Security group sg-0abc was changed at 09:10 by a deploy."
    )
    factories.make_case(account, actor, subject="Raise the EC2 On-Demand instance limit")
    engineer = engineer_create(
        email="engineer@example.com", actor=SYSTEM, password=factories.PASSWORD
    )
    OUT.mkdir(parents=True, exist_ok=True)
    customer_pages = {
        "case-list": reverse("cases:list"),
        "case-create": reverse("cases:create"),
        "case-detail": reverse("cases:detail", args=[case.case_id]),
        "support-plan": reverse("cases:plan"),
    }
    console_pages = {
        "console-queue": reverse("console:queue"),
        "console-case": reverse("console:case", args=[case.case_id]),
    }
    for label, (width, height) in WIDTHS.items():
        context = browser.new_context(locale="en-US", viewport={"width": width, "height": height})
        page = context.new_page()
        sign_in_root(page, live_server, account)
        for name, path in customer_pages.items():
            page.goto(live_server.url + path)
            page.screenshot(path=str(OUT / f"{name}-{label}.png"))
        context.clear_cookies()
        page.goto(f"{live_server.url}/signin/")
        page.get_by_label("Email address").fill(engineer.email)
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.get_by_role("button", name="Sign in").first.click()
        page.wait_for_load_state()
        for name, path in console_pages.items():
            page.goto(live_server.url + path)
            page.screenshot(path=str(OUT / f"{name}-{label}.png"))
        context.close()
    assert len(list(OUT.glob("*.png"))) >= 12
