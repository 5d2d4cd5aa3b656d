"""The support engineer's whole journey through the UI, in Debian's chromium: a customer opens a
critical chat case with a log file; the engineer who covers the service is told (header counter,
notifications page, email), finds the case by searching its text, previews the log, replies with
a screenshot and a canned response; the customer sees the reply arrive live and answers; the
engineer's SLA clocks follow. Then the same core steps without JavaScript.

Only the people, the covered service and the macro are set up through services; everything the
customer and the engineer do goes through the pages."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.principals import SYSTEM
from accounts.services import user_update
from cases.models import Case
from catalog.models import Service
from notifications.models import Notification
from notifications.services import notification_send
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

EC2 = "amazon-elastic-compute-cloud-linux"
SUBJECT = "Zanzibar throttling on every instance"
DESCRIPTION = "Since 09:00 UTC every call is refused: zanzibar throttling. Log attached."
LOG_TEXT = "2026-01-05T09:00:01Z ERROR kestrelquota exceeded for i-0abc\n"
MACRO_BODY = "The fix for case {display_id} is in the screenshot. {engineer_name}"
# The chat polls every 3 s (templates/cases/chat.html); leave room for a slow machine.
LIVE = 15_000
# "59 minutes left", "1 hour left" (console.selectors._countdown).
COUNTDOWN = re.compile(r"\d+\s+(minute|hour)s?\s+left")


def _png() -> bytes:
    """A valid one-pixel PNG (a screenshot stand-in)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\x80\x00")
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


@pytest.fixture
def people(browser, live_server, reference_data, tmp_path):  # noqa: F811 (the imported fixture)
    """An Enterprise account, the engineer who covers EC2 (and one who does not), a macro, the
    two files, and a browser page factory (with or without JavaScript)."""
    account = factories.make_account("enterprise")
    engineer = factories.make_engineer(email="akira@example.com")
    user_update(user=engineer, actor=SYSTEM, display_name="Akira")
    engineer.services.add(Service.objects.get(code=EC2))
    bystander = factories.make_engineer(email="billing-only@example.com")
    bystander.services.add(Service.objects.get(code="billing"))
    factories.make_macro("Fix in screenshot", body=MACRO_BODY)
    log = tmp_path / "kestrel.log"
    log.write_text(LOG_TEXT)
    screenshot = tmp_path / "screenshot.png"
    screenshot.write_bytes(_png())
    contexts = []
    violations: list[list[str]] = []

    def new_page(*, javascript: bool = True):
        context = browser.new_context(locale="en-US", java_script_enabled=javascript)
        contexts.append(context)
        violations.append(watch_csp(context))
        page = context.new_page()
        page.set_default_timeout(15000)
        return page

    yield {
        "account": account,
        "engineer": engineer,
        "log": log,
        "screenshot": screenshot,
        "new_page": new_page,
    }
    for context in contexts:
        context.close()
    assert not [text for found in violations for text in found]


def _sign_in_engineer(page, live_server, engineer) -> None:
    page.goto(f"{live_server.url}/signin/")
    page.get_by_label("Email address").fill(engineer.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").first.click()
    page.wait_for_url(re.compile(r"/console/$"))


def _fill_case_details(page, log: Path) -> None:
    """The create form's fields after the service and category: severity, subject, text, chat,
    the log file."""
    page.get_by_label(re.compile("Business-critical system down")).check()
    page.get_by_label("Subject").fill(SUBJECT)
    page.get_by_label("Description").fill(DESCRIPTION)
    page.get_by_label("Chat", exact=True).check()
    page.get_by_label("Attachments").set_input_files(str(log))
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/support/cases/case-"))


def _search_console(page, word: str, case: Case) -> None:
    """The console search: a GET form in the console nav (templates/console/nav.html) with an
    input named `q`, to /console/search/, listing the matches in a table whose rows link to the
    cases' console pages. (Adjust here if the search's markup differs.)"""
    box = page.get_by_role("navigation", name="Console").locator("input[name=q]")
    box.fill(word)
    box.press("Enter")
    page.wait_for_url(re.compile(r"/console/search/\?(.*&)?q=" + re.escape(word)))
    page.locator(f"table a[href$='/console/cases/{case.case_id}/']").first.click()
    page.wait_for_url(re.compile(rf"/console/cases/{case.case_id}/$"))


def test_the_engineers_journey(people, live_server) -> None:
    account, engineer = people["account"], people["engineer"]
    customer, support = people["new_page"](), people["new_page"]()

    # 1. The customer opens a critical chat case about EC2, with a log file.
    sign_in_root(customer, live_server, account)
    customer.get_by_role("link", name="Create case").first.click()
    with customer.expect_response(lambda r: "/create/options/" in r.url):
        customer.get_by_label("Technical").check()
    htmx_settled(customer)
    with customer.expect_response(lambda r: "part=category" in r.url):
        customer.get_by_role("combobox", name="Service", exact=True).select_option(EC2)
    htmx_settled(customer)
    with customer.expect_response(lambda r: "part=help" in r.url):
        customer.get_by_role("combobox", name="Category", exact=True).select_option(
            "instance-issue"
        )
    htmx_settled(customer)
    _fill_case_details(customer, people["log"])
    expect(customer.get_by_role("heading", name=SUBJECT)).to_be_visible()
    expect(customer.get_by_role("link", name="kestrel.log")).to_be_visible()
    case = Case.objects.get(subject=SUBJECT)
    assert (case.severity.code, case.contact_method) == ("critical", "chat")
    assert case.status == "unassigned"
    title = f"{case.display_id}: {SUBJECT}"
    # The customer's page stays open from here on: a reload would drop this mark.
    customer.evaluate("() => { window.stillTheSamePage = true; }")

    # 2. The engineer who covers EC2 is told: the header's counter, the notifications page ...
    _sign_in_engineer(support, live_server, engineer)
    counter = support.locator("#inbox-count .badge")
    expect(counter).to_have_text("1")
    expect(counter).to_have_attribute("aria-label", "1 unread")
    support.locator("#inbox-count").click()
    support.wait_for_url(re.compile(r"/console/notifications/$"))
    expect(support.get_by_role("button", name=title)).to_be_visible()
    # ... and an email (critical: always emailed), queued in the outbox for the worker to send.
    [queued] = Notification.objects.filter(topic=case.case_id, recipients=[engineer.email])
    assert queued.kind == "new-case" and queued.status == "pending"
    assert not Notification.objects.filter(recipients=["billing-only@example.com"]).exists()
    assert notification_send(notification_id=str(queued.pk)) is True  # what the worker does
    [email] = [m for m in mail.outbox if m.to == [engineer.email]]
    assert str(case.display_id) in email.subject

    # 3. The engineer finds the case by its text.
    _search_console(support, "zanzibar", case)
    expect(support.get_by_role("heading", name=title)).to_be_visible()
    support.get_by_role("button", name="Claim").click()
    support.wait_for_load_state()
    expect(support.get_by_role("button", name="Claim")).to_have_count(0)

    # 4. The customer's log, previewed in the browser (a new tab, plain text).
    with support.context.expect_page() as opened:
        support.get_by_role("link", name="Preview").first.click()
    preview = opened.value
    preview.wait_for_load_state()
    assert "kestrelquota exceeded" in preview.locator("body").inner_text()
    preview.close()

    # 5. The reply: typed text, then the canned response after it, a screenshot, and the case
    # set to wait for the customer.
    support.get_by_label("Reply to the customer").fill("Thanks for the log.")
    support.get_by_label("Then set the case to").select_option(
        label="Pending customer action (ask for information)"
    )
    with support.expect_response(lambda r: "/macro/" in r.url):
        support.get_by_label("Canned response").select_option(label="Fix in screenshot")
    reply_text = (
        f"Thanks for the log.\n\nThe fix for case {case.display_id} is in the screenshot. Akira"
    )
    support.wait_for_function(
        "text => document.querySelector('textarea[name=body]').value === text", arg=reply_text
    )
    assert support.get_by_label("Then set the case to").input_value() == "pending-customer-action"
    support.get_by_label("Attachments for the customer").set_input_files(str(people["screenshot"]))
    with support.expect_navigation():
        support.get_by_role("button", name="Send reply").click()
    case.refresh_from_db()
    assert case.status == "pending-customer-action"
    expect(
        support.locator("#chat-log").get_by_role("img", name="Preview of screenshot.png")
    ).to_be_visible()
    # The first response is answered and met; the next-reply clock waits for the customer.
    facts = support.locator("dl.case-facts")
    expect(facts.locator("div", has_text="First response").locator("dd")).to_have_text(
        "Answered, met"
    )
    expect(facts.locator("div", has_text="Next reply").locator("dd")).to_have_text(
        "Paused, waiting for the customer"
    )

    # 6. The customer's page, open all along, shows the engineer and the reply without a reload.
    chat = customer.locator("#chat-log")
    expect(chat).to_contain_text("Akira joined the chat.", timeout=LIVE)
    expect(chat).to_contain_text(f"The fix for case {case.display_id}", timeout=LIVE)
    expect(chat.get_by_role("link", name="screenshot.png")).to_be_visible(timeout=LIVE)
    expect(chat.locator(".message-support").last).to_contain_text("Amazon Web Services")
    assert customer.evaluate("() => window.stillTheSamePage === true")
    customer.get_by_label("Reply").fill("Applied the fix; still throttled in eu-west-1.")
    with customer.expect_navigation():
        customer.get_by_role("button", name="Send", exact=True).click()
    expect(chat).to_contain_text("still throttled in eu-west-1")
    case.refresh_from_db()
    assert case.status == "opened"

    # 7. The engineer sees the answer arrive too; the next-reply clock now runs.
    expect(support.locator("#chat-log")).to_contain_text("still throttled", timeout=LIVE)
    support.reload()
    expect(facts.locator("div", has_text="First response").locator("dd")).to_have_text(
        "Answered, met"
    )
    expect(facts.locator("div", has_text="Next reply").locator("dd")).to_have_text(COUNTDOWN)


def test_the_journey_without_javascript(people, live_server) -> None:
    account, engineer = people["account"], people["engineer"]
    customer = people["new_page"](javascript=False)
    support = people["new_page"](javascript=False)

    # The customer's create form, each choice shown by the server ("Show categories").
    sign_in_root(customer, live_server, account)
    customer.goto(f"{live_server.url}/support/cases/create/")
    customer.get_by_label("Technical").check()
    customer.get_by_role("button", name="Show categories").click()
    customer.wait_for_load_state()
    customer.get_by_role("combobox", name="Service", exact=True).select_option(EC2)
    customer.get_by_role("button", name="Show categories").click()
    customer.wait_for_load_state()
    customer.get_by_role("combobox", name="Category", exact=True).select_option("instance-issue")
    _fill_case_details(customer, people["log"])
    expect(customer.get_by_role("link", name="kestrel.log")).to_be_visible()
    case = Case.objects.get(subject=SUBJECT)
    assert (case.severity.code, case.contact_method) == ("critical", "chat")
    assert case.service.code == EC2 and case.category.code == "instance-issue"

    # The engineer opens it from the notifications page (a plain form post).
    _sign_in_engineer(support, live_server, engineer)
    support.get_by_role("navigation", name="Console").get_by_role(
        "link", name="Notifications"
    ).click()
    support.get_by_role("button", name=f"{case.display_id}: {SUBJECT}").click()
    support.wait_for_url(re.compile(rf"/console/cases/{case.case_id}/$"))
    expect(support.get_by_role("link", name="kestrel.log")).to_be_visible()
    support.get_by_role("button", name="Claim").click()
    support.wait_for_load_state()

    # The reply: the Insert button adds the macro on the server, keeping the typed text and the
    # chosen status; the screenshot is chosen after (browsers drop chosen files on a reload).
    support.get_by_label("Reply to the customer").fill("Thanks for the log.")
    support.get_by_label("Then set the case to").select_option("pending-customer-action")
    support.get_by_label("Canned response").select_option(label="Fix in screenshot")
    support.get_by_role("button", name="Insert").click()
    support.wait_for_url(re.compile(r"/macro/insert/$"))
    assert support.get_by_label("Reply to the customer").input_value() == (
        f"Thanks for the log.\n\nThe fix for case {case.display_id} is in the screenshot. Akira"
    )
    assert support.get_by_label("Then set the case to").input_value() == "pending-customer-action"
    support.get_by_label("Attachments for the customer").set_input_files(str(people["screenshot"]))
    support.get_by_role("button", name="Send reply").click()
    support.wait_for_url(re.compile(rf"/console/cases/{case.case_id}/$"))
    case.refresh_from_db()
    assert case.status == "pending-customer-action"
    sent = case.communications.order_by("-created_at").first()
    assert [a.file_name for a in sent.attachment_set.attachments.all()] == ["screenshot.png"]

    # The customer's page says to reload; after it, the reply and the screenshot are there.
    chat = customer.locator("#chat-log")
    expect(chat).not_to_contain_text("The fix for case")
    customer.get_by_role("link", name="Reload").click()
    customer.wait_for_load_state()
    expect(chat).to_contain_text(f"The fix for case {case.display_id} is in the screenshot.")
    expect(chat.get_by_role("link", name="screenshot.png")).to_be_visible()
    customer.get_by_label("Reply").fill("Applied the fix; all good.")
    customer.get_by_role("button", name="Send", exact=True).click()
    customer.wait_for_load_state()
    expect(chat).to_contain_text("Applied the fix; all good.")
    case.refresh_from_db()
    assert case.status == "opened"
