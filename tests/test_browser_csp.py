"""The Content-Security-Policy in a real browser: chromium reports no violation on the key
pages of customers, engineers and operators (htmx polls and swaps, Chart.js, the admin site),
and every page carries the header. The journeys in the other browser tests assert the same on
every page they pass through (tests.test_browser.watch_csp)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accounts.principals import SYSTEM
from accounts.services import engineer_create
from cases import services
from tests import factories
from tests.test_browser import (  # noqa: F401 (the module's browser fixture)
    CHROMIUM,
    browser,
    htmx_settled,
    sign_in_root,
    watch_csp,
)

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"
)


def visit(page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 400, url
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, url
    page.wait_for_load_state("networkidle")


def test_key_pages_break_no_policy(browser, live_server, reference_data) -> None:  # noqa: F811
    account = factories.make_account("business")
    chat = factories.make_case(account, subject="Chatting", contact_method="chat")
    web = factories.make_case(account, subject="Emailing")
    engineer = factories.make_engineer(email="csp-engineer@example.com")
    services.case_support_reply(
        case=web,
        actor=factories.principal(engineer),
        body="Looking",
        next_status="pending-customer-action",
    )
    operator = engineer_create(
        email="operator@example.com",
        password=factories.PASSWORD,
        actor=SYSTEM,
        is_superuser=True,
    )
    base = live_server.url
    context = browser.new_context(locale="en-US")
    violations = watch_csp(context)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        visit(page, f"{base}/")
        visit(page, f"{base}/signin/")
        sign_in_root(page, live_server, account)
        for path in (
            "/support/cases/",
            "/support/cases/create/",
            f"/support/cases/{web.case_id}/",
            "/iam/",
            "/cloudtrail/",
            "/events/",
            "/trusted-advisor/",
        ):
            visit(page, base + path)
        # The chat polls with htmx every 3 s: let it answer a couple of times.
        visit(page, f"{base}/support/cases/{chat.case_id}/")
        page.wait_for_timeout(3500)
        # An htmx swap: the case list's filters.
        visit(page, f"{base}/support/cases/")
        page.get_by_label("Search").fill("Chatting")
        page.get_by_role("button", name=re.compile("Search|Apply|Filter")).first.click()
        htmx_settled(page)
        page.context.clear_cookies()

        for user in (engineer, operator):
            page.goto(f"{base}/signin/")
            page.get_by_label("Email address").fill(user.email)
            page.get_by_label("Password").fill(factories.PASSWORD)
            page.get_by_role("button", name="Sign in").first.click()
            page.wait_for_url(re.compile(r"/console/$"))
            for path in (
                "/console/",
                "/console/realtime/",
                "/console/dashboard/",
                "/console/notifications/",
                "/console/search/?q=Chatting",
                f"/console/cases/{chat.case_id}/",
            ):
                visit(page, base + path)
            page.wait_for_timeout(3500)  # the console's chat poll and presence
            page.context.clear_cookies()
        sign_in_admin = f"{base}/admin/login/?next=/admin/"
        page.goto(sign_in_admin)
        page.get_by_label("Login").fill(operator.login)
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.get_by_role("button", name=re.compile("Log in")).click()
        page.wait_for_url(re.compile(r"/admin/$"))
        for path in (
            "/admin/",
            "/admin/accounts/account/",
            f"/admin/accounts/account/{account.pk}/change/",
            "/admin/catalog/supportplan/",
            "/admin/macros/macro/add/",
        ):
            visit(page, base + path)
        page.goto(f"{base}/no-such-page/")  # an error page
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert not violations
