"""Phones: at 375 px no page scrolls sideways (tables scroll within themselves) and the
navigation folds behind a Menu button."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.principals import SYSTEM
from accounts.services import engineer_create
from cases import services as case_services
from tests import factories
from tests.test_browser import CHROMIUM, browser, sign_in_root, watch_csp  # noqa: F401

pytestmark = pytest.mark.skipif(
    not __import__("pathlib").Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"
)

WIDTH = 375


@pytest.fixture
def phone(browser):  # noqa: F811
    context = browser.new_context(
        locale="en-US", viewport={"width": WIDTH, "height": 740}, is_mobile=True, has_touch=True
    )
    violations = watch_csp(context)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
    assert not violations


def _overflow(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def _check(page, url: str, wide: list[str]) -> None:
    page.goto(url)
    width = _overflow(page)
    if width > WIDTH:
        culprits = page.evaluate(
            """(w) => [...document.querySelectorAll('body *')]
              .filter(e => e.getBoundingClientRect().right > w + 1)
              .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > w + 1))
              .slice(0, 3)
              .map(e => e.tagName + '.' + e.className + ' '
                   + Math.round(e.getBoundingClientRect().right))""",
            WIDTH,
        )
        wide.append(f"{url}: {width}px {culprits}")


def test_no_customer_or_console_page_scrolls_sideways_at_375px(
    phone, live_server, reference_data
) -> None:
    account = factories.make_account("enterprise")
    root = factories.root_of(account)
    case = factories.make_case(
        account,
        factories.principal(root),
        subject="A subject long enough to wrap on a phone screen, with an-unbroken-identifier-"
        "i-0123456789abcdef0-i-0123456789abcdef1",
    )
    long_body = "x" * 300 + " https://example.com/" + "y" * 200
    case_services.case_add_communication(case=case, actor=factories.principal(root), body=long_body)
    factories.make_iam_user(account, user_name="phone-user")
    sign_in_root(phone, live_server, account)
    base = live_server.url
    wide: list[str] = []
    for path in (
        reverse("cases:list"),
        reverse("cases:create"),
        reverse("cases:detail", args=[case.case_id]),
        reverse("accounts:iam"),
        reverse("accounts:iam-user", args=["phone-user"]),
        reverse("advisor:dashboard"),
        reverse("cloudtrail:history"),
        reverse("cloudtrail:trails"),
        reverse("events:rules"),
        reverse("events:create"),
    ):
        _check(phone, base + path, wide)

    # The navigation is behind the Menu button, and opens.
    nav = phone.locator("#main-nav")
    assert not nav.is_visible()
    phone.get_by_role("button", name="Menu").click()
    assert nav.is_visible()
    assert phone.get_by_role("link", name="Your support cases").is_visible()

    engineer = engineer_create(
        email="phone-engineer@example.com", actor=SYSTEM, password=factories.PASSWORD
    )
    phone.context.clear_cookies()
    phone.goto(f"{base}/signin/")
    phone.get_by_label("Email address").fill(engineer.email)
    phone.get_by_label("Password").fill(factories.PASSWORD)
    phone.get_by_role("button", name="Sign in").first.click()
    phone.wait_for_load_state()
    for path in (
        reverse("console:queue"),
        reverse("console:case", args=[case.case_id]),
        reverse("console:search") + "?q=subject",
        reverse("console:inbox"),
        reverse("console:dashboard"),
        reverse("console:settings"),
    ):
        _check(phone, base + path, wide)
    assert not wide, wide


def test_wide_tables_fit_a_desktop_window(browser, live_server, reference_data) -> None:  # noqa: F811
    """At 1,280 px the event history and the case list fit the page: long identifiers (case
    ids, sign-in addresses) wrap inside their cells instead of pushing the table past the
    window (the history was 1,681 px wide with one refused AddCcEmailAddressesToCase)."""
    from audit.names import AuditEventName
    from audit.services import record

    account = factories.make_account("business", root_email="root+business-operations@example.com")
    root = factories.principal(factories.root_of(account))
    iam = factories.principal(
        factories.make_iam_user(account, email="support-user+business-operations@example.com")
    )
    case = factories.make_case(account, iam)
    waiting = factories.make_case(account, iam, subject="Raise the limit of Elastic IP addresses")
    case_services.case_support_reply(
        case=waiting,
        actor=factories.principal(factories.make_engineer()),
        body="Which Region?",
        next_status="pending-customer-action",
    )
    record(
        actor=root,
        event_name=AuditEventName.ADD_CC_TO_CASE,
        account=account,
        error_code="InvalidParameterValueException",
        request_parameters={"caseId": case.case_id},
    )
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
    violations = watch_csp(context)
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in_root(page, live_server, account)
    wide = []
    for path in (reverse("cloudtrail:history"), reverse("cases:list")):
        page.goto(live_server.url + path)
        table = page.evaluate("() => document.querySelector('main table').scrollWidth")
        room = page.evaluate("() => document.querySelector('main table').parentElement.clientWidth")
        if _overflow(page) > 1280 or table > room:
            wide.append(f"{path}: page {_overflow(page)}px, table {table}px in {room}px")
    context.close()
    assert not violations
    assert not wide, wide
