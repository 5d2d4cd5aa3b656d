"""Browser test of asking for help with a finding: from a red security group on its check page to
a submitted technical case, through the filled-in (and still editable) case form. Playwright
driving Debian's chromium against a live server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cases.models import Case
from tests import factories
from tests.advisor import console_data as data
from tests.test_browser import CHROMIUM, browser, htmx_settled, page, sign_in_root  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"
)

SG_NAME = "Security Groups - Specific Ports Unrestricted"


@pytest.fixture
def specs() -> Iterator[None]:
    with data.registry(data.default_specs()):
        yield


def test_ask_for_help_with_a_finding(
    page: Page,  # noqa: F811 (the fixture imported from tests.test_browser)
    live_server: LiveServer,
    reference_data: None,
    specs: None,
) -> None:
    from playwright.sync_api import expect

    account = factories.make_account("business")
    data.seed(account)
    sign_in_root(page, live_server, account)
    page.goto(f"{live_server.url}/trusted-advisor/checks/{data.SG}/")
    green = page.get_by_role("row").filter(has_text="sg-0000000000000000c")
    expect(green.get_by_role("link", name=re.compile("^Ask for help"))).to_have_count(0)
    red = page.get_by_role("row").filter(has_text="sg-0000000000000000a")
    link = red.get_by_role("link", name=re.compile("^Ask for help with this"))
    # The link says which finding it is about, as the row's checkbox does.
    expect(link).to_have_accessible_name(
        "Ask for help with this Action recommended us-east-1 ssh-open sg-0000000000000000a "
        "tcp Red 22"
    )
    link.click()
    page.wait_for_url(re.compile(r"/support/cases/create/\?from=trusted-advisor"))

    # A technical case about the check's service, with the finding written out.
    expect(page.get_by_label("Technical")).to_be_checked()
    expect(page.get_by_role("combobox", name="Service", exact=True)).to_have_value(
        "amazon-virtual-private-cloud"
    )
    expect(page.get_by_role("combobox", name="Category", exact=True)).to_have_value(
        "general-guidance"
    )
    subject = page.get_by_label("Subject")
    expect(subject).to_have_value(f"Trusted Advisor: {SG_NAME} (sg-0000000000000000a)")
    description = page.get_by_label("Description")
    expect(description).to_have_value(re.compile(r"Security Group Name: ssh-open"))
    expect(description).to_have_value(re.compile(r"Ports: 22"))

    # Everything stays editable: another category (htmx reloads its help), a subject of our
    # own, and the question under the finding.
    with page.expect_response(lambda r: "part=help" in r.url):
        page.get_by_role("combobox", name="Category", exact=True).select_option("connection-issue")
    htmx_settled(page)
    subject.fill("Why is port 22 open on ssh-open?")
    description.press("Control+End")
    description.type("Nobody here opened it.")
    page.get_by_label(re.compile("General guidance")).check()
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/support/cases/case-"))
    expect(page.get_by_role("heading", name="Why is port 22 open on ssh-open?")).to_be_visible()

    case = Case.objects.get(account=account)
    assert (case.case_type, case.service.code, case.category.code) == (
        "technical",
        "amazon-virtual-private-cloud",
        "connection-issue",
    )
    body = case.communications.get().body
    assert "Trusted Advisor check: Security Groups - Specific Ports Unrestricted" in body
    # (The group id's long run of digits is redacted from case text like a card number.)
    assert "Security Group Name: ssh-open" in body
    assert body.rstrip().endswith("Nobody here opened it.")


def test_opting_out_of_the_weekly_email(
    page: Page,  # noqa: F811
    live_server: LiveServer,
    reference_data: None,
    specs: None,
) -> None:
    """The root user finds the setting from My Account, turns the email off for the account's
    address, and the next weekly run mails only the operations contact."""
    from playwright.sync_api import expect

    from accounts.principals import SYSTEM
    from accounts.services import account as account_services
    from advisor.tasks import advisor_weekly_reports_send_task
    from notifications.models import Notification

    account = factories.make_account("business")
    data.connect_sample(account)
    data.seed(account)
    account_services.alternate_contact_put(
        account=account,
        actor=SYSTEM,
        contact_type="OPERATIONS",
        name="Ops",
        email="ops@example.com",
    )
    sign_in_root(page, live_server, account)
    page.get_by_role("link", name="My Account").click()
    page.get_by_role("link", name="Trusted Advisor preferences").click()
    page.wait_for_url(re.compile(r"/trusted-advisor/preferences/$"))
    recipients = page.locator("#weekly-recipients")
    expect(recipients).to_contain_text(account.contact_email)
    expect(recipients).to_contain_text("ops@example.com")
    box = page.get_by_label("Email me the weekly Trusted Advisor summary")
    expect(box).to_be_checked()
    box.uncheck()
    page.get_by_role("button", name="Save preferences").click()
    expect(
        page.get_by_text("You will no longer get the weekly Trusted Advisor email.")
    ).to_be_visible()
    expect(page.get_by_label("Email me the weekly Trusted Advisor summary")).not_to_be_checked()
    expect(recipients).not_to_contain_text(account.contact_email)
    expect(recipients).to_contain_text("ops@example.com")

    assert advisor_weekly_reports_send_task() == 1
    assert advisor_weekly_reports_send_task() == 0
    (email,) = Notification.objects.filter(kind="advisor_weekly")
    assert email.recipients == ["ops@example.com"]
