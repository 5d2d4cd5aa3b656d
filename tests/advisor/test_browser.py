"""Browser test of the Trusted Advisor console: Playwright driving Debian's chromium against a
live server, with a key connection to a moto server standing in for the customer's AWS account.

The worker is not a separate process: the test calls `advisor_check_run_task` itself right after
a progress poll has answered, so the run happens between two polls (they are 2 s apart) and the
page has to pick the result up on its own, as it would from a real worker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone

from advisor.checks.base import Environment, Evaluation
from advisor.models import CheckState
from advisor.tasks import advisor_check_run_task
from tests import factories
from tests.advisor import console_data as data
from tests.moto_aws import MotoAccount, connect_keys
from tests.test_browser import CHROMIUM, browser, htmx_settled, page, sign_in_root  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

    from accounts.models import Account

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"
)

SG_NAME = "Security Groups - Specific Ports Unrestricted"


@pytest.fixture
def account(aws: MotoAccount, reference_data: None) -> Account:
    """A business account connected with an access key to the (wiped) moto account, with the
    console's sample results."""
    account = factories.make_account("business")
    connect_keys(account)
    data.seed(account)
    return account


def _next_run(env: Environment) -> Evaluation:
    """What the security-group check finds when the test's worker runs it: two more open
    groups than before (the excluded one is still open, and stays excluded)."""
    assert env.account_id == "123456789012"  # reached through the key connection (moto STS)
    return Evaluation(
        rows=[
            data.sg_row("error", "ssh-open", "sg-0000000000000000a"),
            data.sg_row("warning", "odd-port", "sg-0000000000000000b", ports="8080"),
            data.sg_row("error", "rdp-open", "sg-0000000000000000d", ports="3389"),
            data.sg_row("error", "db-open", "sg-0000000000000000e", ports="5432"),
            data.sg_row("ok", "web", "sg-0000000000000000c", ports="443"),
        ],
        processed=7,
    )


@pytest.fixture
def specs() -> Iterator[None]:
    specs = data.default_specs()
    specs[data.SG] = data.make_spec(data.SG, core=True, evaluate=_next_run)
    with data.registry(specs):
        yield


def test_trusted_advisor_console(
    page: Page,  # noqa: F811 (the fixture imported from tests.test_browser)
    live_server: LiveServer,
    reference_data: None,
    account: Account,
    specs: None,
) -> None:
    from playwright.sync_api import expect

    sign_in_root(page, live_server, account)

    # The dashboard: counts, the list by category and the chart (vendored Chart.js).
    page.get_by_role("link", name="Trusted Advisor").click()
    page.wait_for_url(re.compile(r"/trusted-advisor/$"))
    expect(page.locator("#count-error")).to_have_text("2")
    expect(page.locator("#count-warning")).to_have_text("1")
    expect(page.locator("#savings")).to_have_text("$7.20")
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-flagged') !== undefined")

    # The connection reaches "AWS" (moto).
    page.get_by_role("link", name="AWS connection").click()
    with page.expect_response(lambda r: "/connection/test/" in r.url):
        page.get_by_role("button", name="Test connection").click()
    htmx_settled(page)
    expect(page.locator("#connection-test")).to_contain_text("AWS account 123456789012")

    # A check: exclude the red group, and the counts follow.
    page.goto(f"{live_server.url}/trusted-advisor/")
    page.get_by_role("link", name=SG_NAME).click()
    page.wait_for_url(re.compile(rf"/checks/{data.SG}/$"))
    expect(page.locator("#count-flagged")).to_have_text("2")
    row = page.get_by_role("row").filter(has_text="sg-0000000000000000a")
    # Labelled by the row's own cells (status and columns), not by the ARN.
    expect(row.get_by_role("checkbox")).to_have_accessible_name(
        "Select Action recommended us-east-1 ssh-open sg-0000000000000000a tcp Red 22"
    )
    row.get_by_role("checkbox").check()
    with page.expect_response(lambda r: "/exclude/" in r.url):
        page.get_by_role("button", name="Exclude selected").click()
    htmx_settled(page)
    expect(page.locator("#count-flagged")).to_have_text("1")
    expect(page.locator("#count-excluded")).to_have_text("1")
    expect(page.get_by_role("row").filter(has_text="sg-0000000000000000a")).to_contain_text(
        "Excluded"
    )

    # Refresh: the progress polls until the (test's) worker has finished, then the results
    # reload by themselves.
    with page.expect_response(lambda r: r.url.endswith("/refresh/")):
        page.get_by_role("button", name="Refresh", exact=True).click()
    expect(page.locator("#refresh-status")).to_have_attribute("data-status", "enqueued")
    expect(page.locator("#refresh progress")).to_be_visible()
    # Said once in the page's live region, and promised only now that JavaScript keeps it.
    expect(page.locator("#refresh-announcer")).to_have_text("Refresh status: Enqueued")
    expect(page.get_by_text("The results below update when the refresh finishes.")).to_be_visible()
    state = CheckState.objects.get(account=account, check_id=data.SG)
    assert state.refresh_status == "enqueued"
    with page.expect_response(lambda r: "/progress/" in r.url):
        pass  # a poll has just answered; the next one is 2 s away
    assert advisor_check_run_task(state.pk) is True
    expect(page.locator("#refresh-status")).to_have_attribute("data-status", "success")
    expect(page.locator("#refresh progress")).to_have_count(0)
    expect(page.locator("#count-flagged")).to_have_text("3")  # the reloaded results
    expect(page.locator("#count-excluded")).to_have_text("1")
    expect(page.locator("#count-processed")).to_have_text("7")
    expect(page.locator("#refresh-announcer")).to_have_text("Refresh status: Success")
    refresh = page.get_by_role("button", name="Refresh", exact=True)
    expect(refresh).to_be_disabled()
    expect(refresh).to_have_css("opacity", "0.55")  # and it looks it
    expect(page.locator("#refresh-wait")).to_contain_text("You can refresh this check again")

    # When the minimum interval is over, the button comes back on its own.
    CheckState.objects.filter(pk=state.pk).update(
        next_refreshable_at=timezone.now() + timedelta(seconds=2)
    )
    page.reload()
    expect(refresh).to_be_disabled()
    expect(refresh).to_be_enabled(timeout=10_000)
    expect(refresh).to_have_css("opacity", "1")
    expect(page.locator("#refresh-wait")).to_be_hidden()

    # The same page in Japanese.
    page.get_by_label("Language").select_option("ja")
    page.get_by_role("button", name="Change").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("link", name="サポートケース")).to_be_visible()
    expect(page.get_by_role("button", name="更新", exact=True)).to_be_visible()  # "Refresh"
    expect(page.locator("#check-result dt").first).to_have_text("ステータス")  # "Status"
    expect(page.locator("#count-flagged")).to_have_text("3")
    expect(page.get_by_role("button", name="選択した項目を除外")).to_be_visible()
    expect(page.get_by_role("button", name="選択した項目を含める")).to_be_visible()
    expect(page.get_by_role("link", name="CSV をダウンロード")).to_be_visible()
    expect(page.locator("#refresh-status")).to_contain_text("更新ステータス")
    expect(page.get_by_text("フラグ付きのリソース").first).to_be_visible()
    expect(page.locator(".ta-description")).to_contain_text("推奨されるアクション")


def test_dashboard_keeps_focus_while_checks_refresh_and_fits_a_phone(
    page: Page,  # noqa: F811 (the fixture imported from tests.test_browser)
    live_server: LiveServer,
    reference_data: None,
    account: Account,
    specs: None,
) -> None:
    from playwright.sync_api import expect

    sign_in_root(page, live_server, account)
    page.goto(f"{live_server.url}/trusted-advisor/")

    # The focus ring: dark blue on the page, orange on the dark top bar.
    page.keyboard.press("Tab")  # the skip link
    expect(page.locator(".skip-link")).to_have_css("outline-color", "rgb(11, 83, 148)")
    page.keyboard.press("Tab")  # the brand link in the top bar
    expect(page.locator(".brand")).to_have_css("outline-color", "rgb(255, 153, 0)")

    # Refresh all: the answer keeps the focus on the button and speaks in the live region.
    with page.expect_response(lambda r: r.url.endswith("/refresh/")):
        page.get_by_role("button", name="Refresh all checks").click()
    htmx_settled(page)
    expect(page.locator("#checks-notice")).to_have_text("3 checks queued for refresh.")
    expect(page.locator("#refresh-all")).to_be_focused()
    expect(page.get_by_text("this list updates by itself")).to_be_visible()

    # While the runs wait, only the progress element polls: the focus stays where it was.
    link = page.locator(f"#check-link-{data.SG}")
    link.focus()
    with page.expect_response(lambda r: "part=progress" in r.url):
        pass
    htmx_settled(page)
    expect(link).to_be_focused()
    for state in CheckState.objects.filter(account=account):
        assert advisor_check_run_task(state.pk) is True
    # Every run has finished: the list reloads once (the focus survives that too) and stops.
    expect(page.locator("#checks-progress progress")).to_have_count(0)
    expect(page.locator("#checks")).to_contain_text("4 of 7")  # the new security group run
    expect(link).to_be_focused()

    # A phone: the navigation and sign-out fold behind the Menu button, within the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/trusted-advisor/", f"/trusted-advisor/checks/{data.SG}/"):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        page.get_by_role("button", name="Menu").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_in_viewport()
        expect(page.get_by_role("link", name="Event rules")).to_be_in_viewport()
