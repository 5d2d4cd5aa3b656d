"""In a real browser: the root user places and releases a legal hold; similar resolved cases are
suggested while a subject is typed, and one becomes the new case's related case, a link on its
page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cases import services
from cases.models import Case
from tests import factories
from tests.test_browser import (  # noqa: F401 (the module's browser and page fixtures)
    CHROMIUM,
    browser,
    htmx_settled,
    page,
    sign_in_root,
    watch_csp,
)

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"
)


def test_the_root_user_places_and_releases_a_legal_hold(page, live_server, reference_data) -> None:  # noqa: F811
    account = factories.make_account("business")
    case = factories.make_case(account, subject="Keep this one")
    sign_in_root(page, live_server, account)
    page.goto(f"{live_server.url}/support/cases/{case.case_id}/")
    badge = page.locator("h1 .legal-hold")
    assert badge.count() == 0
    page.get_by_role("button", name="Place legal hold").click()
    page.wait_for_load_state()
    assert page.get_by_text("The case is on legal hold.").is_visible()
    assert badge.inner_text() == "Legal hold"
    assert page.get_by_text(re.compile("On legal hold since")).is_visible()
    assert Case.objects.get(pk=case.pk).legal_hold_by == "customer"

    page.get_by_role("button", name="Release legal hold").click()
    page.wait_for_load_state()
    assert page.get_by_text("The legal hold is released.").is_visible()
    assert badge.count() == 0
    assert page.get_by_role("button", name="Place legal hold").is_visible()
    assert Case.objects.get(pk=case.pk).legal_hold_at is None


def test_suggestions_while_typing_and_a_related_case(page, live_server, reference_data) -> None:  # noqa: F811
    account = factories.make_account("business")
    engineer = factories.principal(factories.make_engineer())
    earlier = factories.make_case(account, subject="DynamoDB writes throttled at peak")
    services.case_support_reply(
        case=earlier,
        actor=engineer,
        body="Switch the table to on-demand capacity.",
        next_status="resolved",
    )
    sign_in_root(page, live_server, account)
    page.goto(f"{live_server.url}/support/cases/create/")
    with page.expect_response(lambda r: "/create/options/" in r.url):
        page.get_by_label("Technical").check()
    htmx_settled(page)
    with page.expect_response(lambda r: "part=category" in r.url):
        page.get_by_role("combobox", name="Service", exact=True).select_option(
            "amazon-elastic-compute-cloud-linux"
        )
    htmx_settled(page)
    with page.expect_response(lambda r: "part=help" in r.url):
        page.get_by_role("combobox", name="Category", exact=True).select_option("instance-issue")
    htmx_settled(page)
    page.get_by_label(re.compile("General guidance")).check()

    # Typed as a person types: a request when the typing pauses, not one per key.
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/create/similar/" in r.url else None)
    typed = "Throttled writes again"
    with page.expect_response(lambda r: "again" in r.url):
        page.get_by_label("Subject").press_sequentially(typed, delay=20)
    htmx_settled(page)
    assert 1 <= len(asked) < len(typed) // 2
    suggestions = page.locator("#similar-cases")
    assert suggestions.get_by_text("DynamoDB writes throttled at peak").is_visible()
    assert suggestions.get_by_text("Switch the table to on-demand capacity.").is_visible()
    suggestions.get_by_role("link", name="Link as related case").click()
    related = page.get_by_label("Related case")
    assert related.input_value() == str(earlier.display_id)
    assert page.url.endswith("/support/cases/create/")  # the form, and what was typed, stayed

    page.get_by_label("Description").fill("Same as last month.")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/support/cases/case-"))
    case = Case.objects.latest("pk")
    assert case.related_case_id == earlier.pk
    link = page.locator("a.related-case")
    assert link.inner_text() == f"{earlier.display_id}: DynamoDB writes throttled at peak"
    link.click()
    page.wait_for_url(re.compile(rf"/support/cases/{earlier.case_id}/$"))


def test_without_javascript_the_suggestions_are_a_search_page(
    browser,  # noqa: F811
    live_server,
    reference_data,
) -> None:
    account = factories.make_account("business")
    engineer = factories.principal(factories.make_engineer())
    earlier = factories.make_case(account, subject="DynamoDB writes throttled at peak")
    services.case_support_reply(
        case=earlier, actor=engineer, body="Switch to on-demand.", next_status="resolved"
    )
    context = browser.new_context(locale="en-US", java_script_enabled=False)
    violations = watch_csp(context)
    plain = context.new_page()
    plain.set_default_timeout(15000)
    sign_in_root(plain, live_server, account)
    plain.goto(f"{live_server.url}/support/cases/create/")
    plain.get_by_role("link", name="Search your resolved cases for a similar problem").click()
    plain.get_by_label("Describe the problem in a few words").fill("throttled writes")
    plain.get_by_role("button", name="Search").click()
    plain.wait_for_load_state()
    assert plain.get_by_text("Switch to on-demand.").is_visible()
    # Without a script the link opens the create form for a case related to that one.
    plain.get_by_role("link", name="Link as related case").click()
    plain.wait_for_url(re.compile(r"/support/cases/create/\?related="))
    assert plain.get_by_label("Related case").input_value() == str(earlier.display_id)
    context.close()
    assert not violations
