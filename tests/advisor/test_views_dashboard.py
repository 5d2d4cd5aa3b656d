"""The Trusted Advisor dashboard through Django's test client, htmx partials included."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from advisor import views
from advisor.checks.base import catalog
from advisor.models import CheckState, RefreshStatus
from audit.models import AuditEvent
from tests import factories
from tests.advisor import console_data as data
from tests.advisor.console_data import EIP, MFA, SG
from tests.advisor.view_helpers import HTMX, READ_ONLY_POLICY, check_url, iam_client, text

# A few specs from the captured catalog stand in for the registered checks.
pytestmark = pytest.mark.usefixtures("console_specs")


def test_dashboard_counts_categories_savings_and_history(root_client, business_account) -> None:
    data.seed(business_account)
    data.connect_sample(business_account)
    response = root_client.get(reverse("advisor:dashboard"))
    page = text(response)
    # SG (red) and MFA (red) in Security; EIP (yellow) in Cost optimization.
    assert 'id="count-error">2<' in page
    assert 'id="count-warning">1<' in page
    assert 'id="count-ok">0<' in page
    # Nothing waits for a result: the card counts only the catalog's checks not computed here.
    not_computed = len(catalog()) - 3
    assert f'id="count-not-available">{not_computed}<' in page
    assert 'id="count-not-refreshed"' not in page
    assert 'id="savings">$7.20<' in page
    assert "Cost optimization checks come with" not in page
    assert "Cost optimization" in page and "Security" in page
    # The category chips say their status in words too, not by icon and colour alone.
    assert '<span class="visually-hidden">Action recommended:</span> 2</span>' in page
    assert '<span class="visually-hidden">Investigation recommended:</span> 0</span>' in page
    # No check of that category is registered: only the not-computed list names it.
    assert 'id="category-fault_tolerance"' not in page
    assert "Fault tolerance" not in page[: page.index('id="not-computed"')]
    for spec_id in (SG, EIP, MFA):
        assert check_url("check", spec_id) in page
    assert "2 of 5" in page  # SG: resources flagged of processed
    assert "Connect your AWS environment" not in page
    assert "Business and Enterprise plans unlock" not in page
    history = response.context["history"]
    assert history == [{"date": timezone.localdate().isoformat(), "flagged": 2 + 1 + 2}]
    assert '<script id="advisor-history" type="application/json">' in page
    assert "js/chart.umd.min.js" in page and "js/advisor.js" in page


def test_dashboard_without_connection_calls_to_connect(client, business_account) -> None:
    client.force_login(factories.root_of(business_account))
    page = text(client.get(reverse("advisor:dashboard")))
    assert "Connect your AWS environment" in page
    assert f'href="{reverse("advisor:connection")}"' in page
    assert "Refresh all checks" not in page  # nothing to refresh against
    # The three registered checks have no result yet; the rest of the catalog is not computed.
    assert f'id="count-not-available">{len(catalog())}<' in page
    assert '<p class="muted" id="count-not-refreshed">3 not refreshed yet</p>' in page
    iam_client(client, business_account, READ_ONLY_POLICY)
    page = text(client.get(reverse("advisor:dashboard")))
    assert "Ask the administrator of your account to connect one." in page


def test_basic_plan_sees_core_checks_and_the_upgrade_note(client, reference_data) -> None:
    account = factories.make_account("basic")
    client.force_login(factories.root_of(account))
    data.store(account, SG, [data.sg_row("error", "ssh-open", "sg-0000000000000000a")])
    response = client.get(reverse("advisor:dashboard"))
    page = text(response)
    assert check_url("check", SG) in page and check_url("check", MFA) in page
    # The check outside the plan is listed, locked (tests/advisor/test_views_locked.py).
    assert f'data-locked-check="{EIP}"' in page
    assert "Your Basic support plan includes the core checks." in page
    assert "The 1 check marked as locked needs the Business or Enterprise support plan." in page
    # No cost-optimization check, so no savings to estimate: say where they come from instead.
    assert response.context["has_cost_checks"] is False
    assert 'id="savings"' not in page and "$0.00" not in page
    assert (
        '<p id="savings-upgrade">Cost optimization checks come with the Business or Enterprise '
        "support plan.</p>" in page
    )


def test_refresh_all_queues_every_check_then_skips_them(
    root_client, business_account, django_capture_on_commit_callbacks
) -> None:
    data.connect_sample(business_account)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = root_client.post(reverse("advisor:refresh-all"))
    assert response.status_code == 302 and response["Location"] == reverse("advisor:dashboard")
    assert len(callbacks) == 3
    assert set(CheckState.objects.values_list("refresh_status", flat=True)) == {"enqueued"}
    assert AuditEvent.objects.filter(event_name="RefreshCheck").count() == 3
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        again = root_client.post(reverse("advisor:refresh-all"), **HTMX)
    assert callbacks == []
    page = text(again)
    assert "<html" not in page and 'id="checks"' in page
    # Nothing queued is news, not success; it goes to the page's live region, out of band.
    assert (
        '<div id="checks-notice" hx-swap-oob="innerHTML"><p class="message info">'
        "0 checks queued for refresh. 3 skipped" in page
    )
    assert "message success" not in page
    # While checks refresh, the progress element polls (not the list).
    assert 'hx-trigger="every 3s"' in page and "Refreshing" in page


def test_refresh_all_notice_is_success_only_when_something_was_queued(
    root_client, business_account
) -> None:
    data.connect_sample(business_account)
    first = text(root_client.post(reverse("advisor:refresh-all"), follow=True))
    assert '<li class="message success">3 checks queued for refresh.</li>' in first
    second = text(root_client.post(reverse("advisor:refresh-all"), follow=True))
    assert '<li class="message info">0 checks queued for refresh. 3 skipped' in second
    CheckState.objects.filter(check_id=SG).update(
        refresh_status=RefreshStatus.SUCCESS, next_refreshable_at=None
    )
    third = text(root_client.post(reverse("advisor:refresh-all"), **HTMX))
    assert '<p class="message success">1 check queued for refresh. 2 skipped' in third


def test_dashboard_polls_only_its_progress_element_while_checks_refresh(
    root_client, business_account, other_account, django_assert_num_queries
) -> None:
    data.seed(business_account)
    data.connect_sample(business_account)
    url = reverse("advisor:dashboard")
    root_client.post(reverse("advisor:refresh-all"))  # all three enqueued
    page = text(root_client.get(url))
    # The list does not poll (a re-render every 3 s would take the keyboard focus away); it
    # reloads once, on the event. Nothing in it is a live region.
    assert (
        f'<div id="checks" hx-get="{url}" hx-trigger="advisor-refreshed from:body" '
        'hx-swap="outerHTML">' in page
    )
    assert "aria-live" not in page
    assert f'hx-get="{url}?part=progress" hx-trigger="every 3s"' in page
    # "Updates by itself" only where JavaScript will do it (advisor.js shows it).
    assert (
        "<span data-js-only hidden>Checks are refreshing; this list updates by itself.</span>"
        in page
    )

    # 1 session; 2 user with account and plan; 3 whether any run is still under way.
    with django_assert_num_queries(3):
        polled = root_client.get(url, {"part": "progress"}, **HTMX)
    body = text(polled).strip()
    assert body.startswith('<div id="checks-progress"') and "ta-checks" not in body
    assert 'hx-trigger="every 3s"' in body and "HX-Trigger" not in polled

    # Another account's runs are not ours to wait for.
    CheckState.objects.filter(account=business_account).update(refresh_status=RefreshStatus.SUCCESS)
    CheckState.objects.create(
        account=other_account, check_id=SG, refresh_status=RefreshStatus.ENQUEUED
    )
    done = root_client.get(url, {"part": "progress"}, **HTMX)
    assert "every 3s" not in text(done) and "<progress" not in text(done)
    assert json.loads(done["HX-Trigger"]) == {views.REFRESHED_EVENT: {}}
    reloaded = text(root_client.get(url, **HTMX))
    assert reloaded.strip().startswith('<div id="checks"') and "every 3s" not in reloaded
    # Without htmx the parameter changes nothing: the whole page.
    assert "<html" in text(root_client.get(url, {"part": "progress"}))


def test_catalog_checks_not_computed_here_are_listed_and_counted_as_not_available(
    root_client, business_account
) -> None:
    """The dashboard names AWS's checks this installation does not compute, by category,
    without a status or a link: nothing is made up for them. The "Not available" card counts
    them, so it agrees with the list."""
    data.seed(business_account)
    data.connect_sample(business_account)
    page = text(root_client.get(reverse("advisor:dashboard")))
    section = page[page.index('id="not-computed"') :]
    assert "Not available in this installation" in section
    # console_specs registers three of the catalog's checks; the rest are listed here.
    missing = [c for c in catalog().values() if c["id"] not in (SG, EIP, MFA)]
    assert f"has {len(missing)} more checks that this installation does not compute" in section
    for check in missing:
        assert f'data-check-id="{check["id"]}"' in section
    for spec_id in (SG, EIP, MFA):
        assert f'data-check-id="{spec_id}"' not in section
    # The summary card counts the checks this section lists (and no check waits for a result
    # here), and says where they are: the card and the list agree.
    assert f'id="count-not-available">{len(missing)}<' in page
    assert (
        f'<p class="muted" id="count-not-computed"><a href="#not-computed">{len(missing)} not '
        "computed in this installation</a></p>" in page
    )
    assert check_url("check", missing[0]["id"]) not in page
    japanese = text(root_client.get(reverse("advisor:dashboard"), HTTP_ACCEPT_LANGUAGE="ja"))
    assert 'id="not-computed"' in japanese
    assert f'id="count-not-available">{len(missing)}<' in japanese
    assert 'id="count-not-computed"><a href="#not-computed">' in japanese


# --- query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize("results", [1, 6])
def test_dashboard_query_count_is_constant(
    root_client, business_account, results, django_assert_num_queries
) -> None:
    data.connect_sample(business_account)
    for _ in range(results):  # history: several results per check
        data.seed(business_account)
    # 1 session; 2 user with account and plan; 3 check states with their latest results;
    # 4 the AWS connection; 5 the flagged-resources history (one query over all results).
    with django_assert_num_queries(5):
        response = root_client.get(reverse("advisor:dashboard"))
    assert response.status_code == 200
