"""The event rule pages in a real browser (Playwright driving Debian's chromium): a starter
pattern loaded by htmx from its button (choosing one changes nothing), a webhook whose secret
shows once, a delivery in the log, a target removed after htmx's confirm dialog."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from events.models import EventDelivery, EventRule, EventTarget
from events.tasks import event_delivery_attempt_task
from tests import factories
from tests.test_browser import CHROMIUM, browser, htmx_settled, page, sign_in_root  # noqa: F401

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"
)


@pytest.mark.usefixtures("allow_private_webhooks")  # the receiver is on loopback
def test_rule_with_a_webhook_receives_a_case_event(
    page,  # noqa: F811
    live_server,
    reference_data,
    webhook,
) -> None:
    account = factories.make_account("business")
    sign_in_root(page, live_server, account)
    page.get_by_role("link", name="Event rules").click()
    page.get_by_role("link", name="Create rule").click()
    page.get_by_label("Name").fill("case-updates")
    # Choosing a starter leaves the typed pattern alone; only the button replaces it.
    page.get_by_label("Event pattern (JSON)").fill('{"mine": ["typed"]}')
    page.get_by_label("Starter pattern").select_option("support")
    htmx_settled(page)
    assert page.get_by_label("Event pattern (JSON)").input_value() == '{"mine": ["typed"]}'
    with page.expect_response(lambda r: "/events/starter/" in r.url):
        page.get_by_role("button", name="Use starter pattern").click()
    htmx_settled(page)
    assert page.url.endswith("/events/create/")  # htmx swapped the field, nothing was posted
    pattern = page.get_by_label("Event pattern (JSON)").input_value()
    assert json.loads(pattern)["detail-type"] == ["Support Case Update"]
    page.get_by_role("button", name="Create rule").click()
    page.wait_for_url(re.compile(r"/events/rules/case-updates/$"))
    assert EventRule.objects.get(account=account).event_pattern == json.loads(pattern)

    page.get_by_label("Target type").select_option("webhook")
    page.get_by_label("Webhook URL").fill(webhook.url)
    page.get_by_role("button", name="Add target").click()
    page.wait_for_url(re.compile(r"/events/rules/case-updates/$"))
    secret = page.locator(".new-webhook-secret").inner_text()
    assert secret.startswith("whsec_")
    page.reload()  # Post/Redirect/Get: a reload neither posts again nor shows the secret
    assert secret not in page.content()
    assert EventTarget.objects.filter(rule__account=account).count() == 1

    case = factories.make_case(account, subject="Seen by a webhook")
    delivery = EventDelivery.objects.get()
    assert event_delivery_attempt_task(str(delivery.delivery_id))
    assert json.loads(webhook.requests[0]["body"])["detail"]["case-id"] == case.case_id

    page.goto(f"{live_server.url}/events/rules/case-updates/")
    assert secret not in page.content()
    page.get_by_role("link", name=re.compile("1 delivered")).click()
    assert page.get_by_text(case.case_id).count() == 1
    page.get_by_role("link", name="case-updates").click()
    page.get_by_role("button", name="Disable").click()
    page.get_by_role("button", name="Enable").wait_for()
    assert EventRule.objects.get(account=account).enabled is False

    # With JavaScript "Remove" asks in a dialog, then posts (no confirmation page).
    target_id = EventTarget.objects.get(rule__account=account).target_id
    dialogs: list[str] = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Remove").click()
    page.get_by_text("No targets: matching events are not sent anywhere yet.").wait_for()
    assert page.url.endswith("/events/rules/case-updates/")
    assert dialogs == [f"Remove target {target_id}? This removes its delivery log."]
    assert not EventTarget.objects.filter(rule__account=account).exists()


def test_email_target_is_confirmed_from_the_link_and_enter_saves_the_rule(
    page,  # noqa: F811
    live_server,
    reference_data,
) -> None:
    """The confirmation page's Confirm button works in a real browser (CSRF with the page's
    referrer policy), and Enter in the rule form creates the rule rather than loading a
    starter pattern."""
    from events import services
    from events.models import ConfirmationStatus, EventTarget
    from events.services.confirmation import confirmation_token

    account = factories.make_account("business")
    sign_in_root(page, live_server, account)
    page.goto(f"{live_server.url}/events/create/")
    page.get_by_label("Name").fill("by-enter")
    page.get_by_label("Event pattern (JSON)").fill('{"source": ["aws.support"]}')
    page.get_by_label("Name").press("Enter")
    page.wait_for_url(re.compile(r"/events/rules/by-enter/$"))

    rule = EventRule.objects.get(account=account, name="by-enter")
    root = factories.principal(factories.root_of(account))
    target, _ = services.target_create(rule=rule, actor=root, kind="email", email="ops@example.com")
    # The recipient is usually not signed in: a fresh browser context.
    other = page.context.browser.new_context()
    visitor = other.new_page()
    visitor.goto(f"{live_server.url}/events/confirm/{confirmation_token(target)}/")
    visitor.get_by_role("button", name="Confirm").click()
    visitor.wait_for_load_state()
    assert "CSRF verification failed" not in visitor.content()
    other.close()
    target = EventTarget.objects.get(pk=target.pk)
    assert target.confirmation_status == ConfirmationStatus.CONFIRMED
