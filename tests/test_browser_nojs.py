"""The forms work without JavaScript: a root user with scripts off opens a phone case (the
callback fields stay in view), resolves and reopens it with a message, saves My Account and
changes the plan."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accounts.models import Account
from cases.models import Case
from tests import factories
from tests.test_browser import CHROMIUM, browser, sign_in_root, watch_csp  # noqa: F401

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"
)


def test_the_new_forms_work_without_javascript(browser, live_server, reference_data) -> None:  # noqa: F811
    account = factories.make_account("enterprise")
    context = browser.new_context(locale="en-US", java_script_enabled=False)
    violations = watch_csp(context)
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in_root(page, live_server, account)

    page.goto(f"{live_server.url}/support/cases/create/")
    page.get_by_label("Technical", exact=True).check()
    page.get_by_role("button", name="Show categories").click()
    page.wait_for_load_state()
    page.get_by_role("combobox", name="Service", exact=True).select_option(
        "amazon-elastic-compute-cloud-linux"
    )
    page.get_by_role("button", name="Show categories").click()
    page.wait_for_load_state()
    page.get_by_role("combobox", name="Category", exact=True).select_option("instance-issue")
    page.get_by_label(re.compile("General guidance")).check()
    page.get_by_label("Subject").fill("Without scripts")
    page.get_by_label("Description").fill("Filed with JavaScript off.")
    page.get_by_label("Phone", exact=True).check()
    number = page.get_by_label("Callback number")
    assert number.is_visible()  # no script hides it
    number.fill("+1 206 555 0100")
    page.get_by_label("Call me").select_option(index=1)
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/support/cases/case-"))
    case = Case.objects.get(subject="Without scripts")
    assert case.contact_method == "phone" and case.callback_number == "+1 206 555 0100"

    page.get_by_role("button", name="Resolve case").click()
    page.get_by_label("What still needs attention?").fill("Back again, no scripts.")
    page.get_by_role("button", name="Reopen case").click()
    page.wait_for_load_state()
    case.refresh_from_db()
    assert case.status == "reopened"

    page.goto(f"{live_server.url}/account/")
    page.get_by_label("Contact phone").fill("+81 3-1234-5678")
    page.get_by_role("button", name="Save contact information").click()
    page.wait_for_load_state()
    assert Account.objects.get(pk=account.pk).contact_phone == "+81 3-1234-5678"

    page.goto(f"{live_server.url}/support/cases/plan/")
    page.get_by_label("Business").check()
    page.get_by_role("button", name="Change plan").click()
    page.wait_for_load_state()
    assert Account.objects.get(pk=account.pk).plan.code == "business"
    context.close()
    assert not violations
