"""Browser tests: Playwright for Python driving Debian's chromium against a live server."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from cases.models import Case
from tests import factories

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"
)

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
# browser steps are ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def watch_csp(context) -> list[str]:
    """What chromium reports breaking the Content-Security-Policy in `context`'s pages (it logs
    each violation to the console: an inline script or style, eval, another origin). Every
    browser test asserts the list stays empty."""
    violations: list[str] = []

    def seen(message) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"{message.location.get('url', '')}: {message.text}")

    context.on("console", seen)
    return violations


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-US")
    violations = watch_csp(context)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
    assert not violations


def htmx_settled(page) -> None:
    """Wait until htmx has swapped and set up the new content (a person is never this fast;
    Playwright is, and would otherwise change a control before htmx listens to it)."""
    page.wait_for_function(
        "() => !document.querySelector("
        "'.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def sign_in_root(page, live_server, account) -> None:
    root = factories.root_of(account)
    page.goto(f"{live_server.url}/signin/")
    page.get_by_label("Email address").fill(root.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").first.click()
    page.wait_for_url(re.compile(r"/support/cases/$"))


def test_root_creates_an_iam_user_and_a_key(page, live_server, reference_data) -> None:
    account = factories.make_account("business")
    sign_in_root(page, live_server, account)
    page.get_by_role("link", name="IAM").click()
    page.get_by_role("link", name="Add user").click()
    page.get_by_label("User name").fill("carol")
    page.get_by_label("Email address (for case notifications)").fill("carol@example.com")
    page.get_by_label("Console password (leave empty for API-only users)").fill(
        "carol-passphrase-42"
    )
    page.get_by_role("button", name="Create user").click()
    page.wait_for_url(re.compile(r"/iam/users/carol/$"))
    page.get_by_role("button", name="Create access key").click()
    key_id = page.locator("#new-access-key-id").inner_text()
    secret = page.locator("#new-secret-access-key").inner_text()
    assert key_id.startswith("ASCK") and len(secret) == 40


def test_callback_fields_show_only_for_phone(page, live_server, reference_data) -> None:
    account = factories.make_account("enterprise")
    sign_in_root(page, live_server, account)
    page.goto(f"{live_server.url}/support/cases/create/")
    number = page.get_by_label("Callback number")
    assert not number.is_visible()
    page.get_by_label("Phone").check()
    assert number.is_visible()
    page.get_by_label("Web").check()
    assert not number.is_visible()


def test_iam_user_case_journey(page, live_server, reference_data, tmp_path) -> None:
    account = factories.make_account("business")
    factories.make_iam_user(account, user_name="dave", email="dave@example.com")
    page.goto(f"{live_server.url}/signin/{account.account_id}/")
    page.get_by_label("IAM user name").fill("dave")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/support/cases/$"))

    page.get_by_role("link", name="Create case").first.click()
    with page.expect_response(lambda r: "/create/options/" in r.url):
        page.get_by_label("Technical").check()
    htmx_settled(page)
    # htmx loads the categories for the chosen service ...
    with page.expect_response(lambda r: "part=category" in r.url):
        page.get_by_role("combobox", name="Service", exact=True).select_option(
            "amazon-elastic-compute-cloud-linux"
        )
    htmx_settled(page)
    # ... and the help and the prompt for the chosen category.
    with page.expect_response(lambda r: "part=help" in r.url):
        page.get_by_role("combobox", name="Category", exact=True).select_option("instance-issue")
    htmx_settled(page)
    page.get_by_label("Instance ID(s)").wait_for()
    page.get_by_label("Instance ID(s)").fill("i-0abc")
    page.get_by_label(re.compile("Production system impaired")).check()
    page.get_by_label("Subject").fill("Browser case")
    page.get_by_label("Description").fill("Seen at 09:00 UTC after a deploy.")
    page.get_by_role("textbox", name="CC", exact=True).fill("dave@example.com, ops@example.com")
    attachment = tmp_path / "screen.txt"
    attachment.write_text("screenshot stand-in")
    page.get_by_label("Attachments").set_input_files(str(attachment))
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/support/cases/case-"))
    assert page.get_by_role("heading", name="Browser case").is_visible()
    assert page.get_by_role("link", name="screen.txt").is_visible()

    page.get_by_role("link", name="Your support cases").first.click()
    assert page.get_by_role("link", name="Browser case").is_visible()
    page.get_by_role("link", name="Browser case").click()

    page.get_by_label("Reply").fill("More details from the browser.")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_load_state()
    assert page.get_by_text("More details from the browser.").is_visible()

    page.get_by_role("button", name="Resolve case").click()
    page.get_by_role("button", name="Reopen case").wait_for()
    assert Case.objects.get(subject="Browser case").status == "resolved"
    page.get_by_label("What still needs attention?").fill("It happened again.")
    page.get_by_role("button", name="Reopen case").click()
    page.get_by_role("button", name="Resolve case").wait_for()
    case = Case.objects.get(subject="Browser case")
    assert case.status == "reopened"
    assert case.cc_email_addresses == ["dave@example.com", "ops@example.com"]


def test_a_filter_error_shows_and_clears_beside_its_field(
    page, live_server, reference_data
) -> None:
    account = factories.make_account("business")
    factories.make_case(account, subject="Low one", severity_code="low")
    factories.make_case(account, subject="Urgent one", severity_code="urgent")
    sign_in_root(page, live_server, account)
    with page.expect_response(lambda r: "severity=urgent" in r.url):
        page.get_by_label("Severity").select_option("urgent")
    htmx_settled(page)
    assert not page.get_by_role("link", name="Low one").is_visible()
    # A year the list does not take: htmx swaps the results, which keep the severity, and puts
    # the error beside the date; the form is not redrawn, so the typed date stays.
    with page.expect_response(lambda r: "created_after=9999" in r.url):
        page.get_by_label("Created from").fill("9999-01-01")
    htmx_settled(page)
    error = page.locator("#id_created_after-errors")
    assert "between 1900 and 9000" in error.inner_text()
    assert page.get_by_role("link", name="Urgent one").is_visible()
    assert not page.get_by_role("link", name="Low one").is_visible()
    assert page.get_by_label("Created from").input_value() == "9999-01-01"
    with page.expect_response(lambda r: "created_after=2020" in r.url):
        page.get_by_label("Created from").fill("2020-01-01")
    htmx_settled(page)
    assert error.inner_text() == ""
    assert page.get_by_role("link", name="Urgent one").is_visible()


def test_basic_plan_cannot_open_technical_cases(page, live_server, reference_data) -> None:
    account = factories.make_account("basic")
    sign_in_root(page, live_server, account)
    page.goto(f"{live_server.url}/support/cases/create/")
    assert page.get_by_label("Account and billing").is_visible()
    assert page.get_by_label("Technical").count() == 0


def test_other_accounts_get_not_found(page, live_server, reference_data) -> None:
    from cases import services

    owner = factories.make_account("business")
    actor = factories.principal(factories.root_of(owner))
    attachment_set = services.attachment_set_add(
        account=owner, attachments=[services.NewAttachment("secret.txt", b"secret")], actor=actor
    )
    case = factories.make_case(owner, actor, attachment_set=attachment_set)
    attachment = attachment_set.attachments.get()
    intruder = factories.make_account("business")
    sign_in_root(page, live_server, intruder)
    response = page.goto(f"{live_server.url}/support/cases/{case.case_id}/")
    assert response.status == 404
    response = page.request.get(
        f"{live_server.url}/support/cases/{case.case_id}/attachments/{attachment.attachment_id}/"
    )
    assert response.status == 404


def test_engineer_and_customer_work_a_case(browser, live_server, reference_data) -> None:
    account = factories.make_account("business")
    case = factories.make_case(account, subject="Needs an engineer")
    engineer = factories.make_engineer(email="sam@example.com")
    support_context = browser.new_context(locale="en-US")
    customer_context = browser.new_context(locale="en-US")
    violations = watch_csp(support_context)
    customer_violations = watch_csp(customer_context)
    support = support_context.new_page()
    customer = customer_context.new_page()
    for page in (support, customer):
        page.set_default_timeout(15000)

    support.goto(f"{live_server.url}/signin/")
    support.get_by_label("Email address").fill(engineer.email)
    support.get_by_label("Password").fill(factories.PASSWORD)
    support.get_by_role("button", name="Sign in").first.click()
    support.wait_for_url(re.compile(r"/console/$"))
    support.get_by_role("link", name=re.compile("Needs an engineer")).click()
    support.get_by_role("button", name="Claim").click()
    support.wait_for_load_state()
    support.get_by_label("Reply to the customer").fill("Which region is affected?")
    support.get_by_label("Then set the case to").select_option("pending-customer-action")
    support.get_by_role("button", name="Send reply").click()
    support.wait_for_load_state()
    case.refresh_from_db()
    assert case.status == "pending-customer-action"

    sign_in_root(customer, live_server, account)
    # The list marks the answer the customer has not read yet, until they open the case.
    customer.goto(f"{live_server.url}/support/cases/")
    row = customer.get_by_role("row", name=re.compile("Needs an engineer"))
    assert row.get_by_text("New reply").is_visible()
    row.get_by_role("link", name="Needs an engineer").click()
    customer.wait_for_url(re.compile(case.case_id))
    assert customer.get_by_text("Which region is affected?").is_visible()
    customer.go_back()
    customer.reload()
    assert customer.get_by_role("row", name=re.compile("Needs an engineer")).is_visible()
    assert customer.get_by_text("New reply").count() == 0
    customer.goto(f"{live_server.url}/support/cases/{case.case_id}/")
    customer.get_by_label("Reply").fill("eu-west-1")
    customer.get_by_role("button", name="Submit").click()
    customer.wait_for_load_state()
    case.refresh_from_db()
    assert case.status == "opened"

    support.reload()
    assert support.get_by_text("eu-west-1").is_visible()
    support.get_by_label("Reply to the customer").fill("Fixed in eu-west-1.")
    support.get_by_label("Then set the case to").select_option("resolved")
    support.get_by_role("button", name="Send reply").click()
    support.wait_for_load_state()
    case.refresh_from_db()
    assert case.status == "resolved"
    assert case.first_response_met is True
    assert not violations and not customer_violations
    support_context.close()
    customer_context.close()
