"""Canned responses in a real browser: with JavaScript, choosing one appends it to the reply
(static/js/macros.js); without, the Insert button does the same on the server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.principals import SYSTEM
from cases import services
from macros.models import Macro
from macros.services import macro_save
from tests import factories
from tests.test_browser import (  # noqa: F401 (the module's browser fixture)
    CHROMIUM,
    browser,
    watch_csp,
)

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"
)


@pytest.fixture
def case_page(browser, live_server, reference_data):  # noqa: F811 (the imported fixture)
    """An engineer's case page, with or without JavaScript, and the case; a macro exists."""
    contexts = []
    violations: list[list[str]] = []

    def open_case(*, javascript: bool):
        account = factories.make_account("business")
        case = factories.make_case(account, subject="Disk full")
        factories.make_macro(
            "Need logs",
            body="Please send the logs for case {display_id}.",
            next_status="pending-customer-action",
        )
        engineer = factories.make_engineer()
        context = browser.new_context(locale="en-US", java_script_enabled=javascript)
        contexts.append(context)
        violations.append(watch_csp(context))
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto(f"{live_server.url}/signin/")
        page.get_by_label("Email address").fill(engineer.email)
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.get_by_role("button", name="Sign in").first.click()
        page.wait_for_url(re.compile(r"/console/$"))
        page.goto(f"{live_server.url}/console/cases/{case.case_id}/")
        return page, case

    yield open_case
    for context in contexts:
        context.close()
    assert not [text for found in violations for text in found]


def test_choosing_a_macro_appends_it_with_javascript(case_page) -> None:
    page, case = case_page(javascript=True)
    reply = page.get_by_label("Reply to the customer")
    reply.fill("Thanks for the details.")
    assert not page.get_by_role("button", name="Insert").is_visible()
    page.get_by_label("Canned response").select_option(label="Need logs")
    filled = f"Thanks for the details.\n\nPlease send the logs for case {case.display_id}."
    page.wait_for_function(
        "text => document.querySelector('textarea[name=body]').value === text", arg=filled
    )
    status = page.get_by_label("Then set the case to")
    assert status.input_value() == "pending-customer-action"
    # Back to "Choose", so that it can be chosen again.
    assert page.get_by_label("Canned response").input_value() == ""
    with page.expect_navigation():
        page.get_by_role("button", name="Send reply").click()
    case.refresh_from_db()
    assert case.status == "pending-customer-action"
    # Browsers send a textarea's line breaks as CRLF.
    sent = case.communications.order_by("-created_at").first().body
    assert sent.replace("\r\n", "\n") == filled


def test_the_insert_button_without_javascript(case_page) -> None:
    page, case = case_page(javascript=False)
    page.get_by_label("Reply to the customer").fill("Thanks for the details.")
    page.get_by_label("Then set the case to").select_option("resolved")
    page.get_by_label("Canned response").select_option(label="Need logs")
    page.get_by_role("button", name="Insert").click()
    page.wait_for_url(re.compile(r"/macro/insert/$"))
    assert page.get_by_label("Reply to the customer").input_value() == (
        f"Thanks for the details.\n\nPlease send the logs for case {case.display_id}."
    )
    assert page.get_by_label("Then set the case to").input_value() == "pending-customer-action"


def test_a_macro_withdrawn_after_the_page_loaded_says_so(case_page) -> None:
    """An operator deactivates a macro while an engineer has the case open: choosing it shows
    why nothing was added (htmx does not swap an error response, so a bare 400 showed nothing)
    and leaves the typed reply alone."""
    page, case = case_page(javascript=True)
    reply = page.get_by_label("Reply to the customer")
    reply.fill("Thanks for the details.")
    macro = Macro.objects.get(name="Need logs")
    macro_save(macro=macro, values={"is_active": False}, actor=SYSTEM)
    page.get_by_label("Canned response").select_option(label="Need logs")
    expect(page.get_by_text("This canned response is no longer available.")).to_be_visible()
    assert reply.input_value() == "Thanks for the details."


def test_a_macro_leaves_a_status_the_case_cannot_take(case_page) -> None:
    """On a resolved case the reply offers only "Resolved": a macro asking for pending customer
    action adds its text and leaves the status chosen (not an empty select)."""
    page, case = case_page(javascript=True)
    services.case_resolve(case=case, actor=factories.principal(factories.root_of(case.account)))
    page.reload()
    page.get_by_label("Canned response").select_option(label="Need logs")
    page.wait_for_function(
        "() => document.querySelector('textarea[name=body]').value.includes('send the logs')"
    )
    assert page.get_by_label("Then set the case to").input_value() == "resolved"
