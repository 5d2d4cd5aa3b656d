"""Refreshing a check from its page in the Trusted Advisor console, progress partial included."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from advisor import views
from advisor.models import CheckState, RefreshStatus
from tests.advisor import console_data as data
from tests.advisor.console_data import SG
from tests.advisor.view_helpers import HTMX, check_url, text

# A few specs from the captured catalog stand in for the registered checks.
pytestmark = pytest.mark.usefixtures("console_specs")


def test_refresh_enqueues_and_the_progress_partial_follows_it(
    root_client, business_account, django_capture_on_commit_callbacks
) -> None:
    data.seed(business_account)
    data.connect_sample(business_account)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = root_client.post(check_url("check-refresh"), **HTMX)
    assert len(callbacks) == 1  # the run is queued after commit
    state = CheckState.objects.get(account=business_account, check_id=SG)
    assert state.refresh_status == RefreshStatus.ENQUEUED
    body = text(response)
    assert "<html" not in body and 'id="refresh"' in body
    assert 'data-status="enqueued"' in body and "<progress" in body
    assert 'hx-trigger="every 2s"' in body
    assert (
        "<span data-js-only hidden>The results below update when the refresh finishes.</span>"
        in body
    )

    # The worker claims it: still polling, no reload yet.
    CheckState.objects.filter(pk=state.pk).update(refresh_status=RefreshStatus.PROCESSING)
    polled = root_client.get(check_url("check-progress"), **HTMX)
    assert 'data-status="processing"' in text(polled) and 'hx-trigger="every 2s"' in text(polled)
    assert "HX-Trigger" not in polled

    # The worker finishes: polling stops and the results region is told to reload.
    data.store(business_account, SG, [data.sg_row("ok", "web", "sg-0000000000000000c")])
    done = root_client.get(check_url("check-progress"), **HTMX)
    assert 'data-status="success"' in text(done) and "every 2s" not in text(done)
    assert json.loads(done["HX-Trigger"]) == {views.REFRESHED_EVENT: {}}
    assert "You can refresh this check again in" in text(done)
    assert "disabled" in text(done)  # inside the minimum interval ...
    # ... which advisor.js waits out before it enables the button again.
    wait = re.search(r'data-refreshable-in="(\d+)"', text(done))
    assert wait is not None and 0 < int(wait.group(1)) <= 300_000
    reloaded = text(root_client.get(check_url("check"), **HTMX))
    assert 'id="count-flagged">0<' in reloaded

    # Inside the interval nothing is queued, and the page says when it can be.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        again = root_client.post(check_url("check-refresh"), follow=True)
    assert callbacks == []
    assert "This check was refreshed recently. You can refresh it again in" in text(again)

    # Without htmx the progress URL is the page.
    plain = root_client.get(check_url("check-progress"))
    assert plain.status_code == 302 and plain["Location"] == check_url("check")


def test_refresh_status_is_announced_once_per_change(root_client, business_account) -> None:
    data.seed(business_account)
    data.connect_sample(business_account)
    page = text(root_client.get(check_url("check")))
    # One persistent live region, outside the region the poll replaces; empty at first.
    assert '<p id="refresh-announcer" class="visually-hidden" role="status"></p>' in page
    assert page.count('role="status"') == 1
    posted = text(root_client.post(check_url("check-refresh"), **HTMX))
    announcement = '<p id="refresh-announcer" hx-swap-oob="innerHTML">Refresh status: '
    assert announcement + "Enqueued</p>" in posted
    assert f'hx-get="{check_url("check-progress")}?shown=enqueued"' in posted
    unchanged = text(root_client.get(check_url("check-progress"), {"shown": "enqueued"}, **HTMX))
    assert "refresh-announcer" not in unchanged
    CheckState.objects.filter(check_id=SG).update(refresh_status=RefreshStatus.PROCESSING)
    changed = text(root_client.get(check_url("check-progress"), {"shown": "enqueued"}, **HTMX))
    assert announcement + "Processing</p>" in changed
    assert "?shown=processing" in changed


def test_abandoned_refresh_shows_the_reason(root_client, business_account) -> None:
    data.connect_sample(business_account)
    CheckState.objects.create(
        account=business_account,
        check_id=SG,
        refresh_status=RefreshStatus.ABANDONED,
        refresh_error="AccessDenied: not authorized to perform ec2:DescribeSecurityGroups",
        next_refreshable_at=timezone.now() + timedelta(minutes=4),
    )
    for response in (
        root_client.get(check_url("check")),
        root_client.get(check_url("check-progress"), **HTMX),
    ):
        page = text(response)
        assert 'data-status="abandoned"' in page
        assert "The last refresh was abandoned:" in page
        assert "not authorized to perform ec2:DescribeSecurityGroups" in page
        assert "You can refresh this check again in 3" in page  # 3 minutes and some seconds


def test_refresh_without_connection_is_not_offered(root_client, business_account) -> None:
    page = text(root_client.get(check_url("check")))
    assert "No AWS environment is connected to this account" in page
    assert ">Refresh</button>" not in page


@pytest.mark.parametrize(
    ("reason", "japanese"),
    [
        ("No AWS environment is connected to this account.", "AWS 環境が接続されていません"),
        ("The refresh did not finish in time.", "更新が時間内に完了しませんでした"),
        (
            "The worker running this refresh stopped twice; refresh the check again.",
            "更新を実行していたワーカーが 2 回停止しました",
        ),
    ],
)
def test_our_own_abandon_reasons_are_shown_in_the_readers_language(
    root_client, business_account, reason, japanese
) -> None:
    """Reasons Support Center writes are stored in English and translated when shown; AWS's
    own error text (the test above) is shown as AWS wrote it."""
    data.connect_sample(business_account)
    CheckState.objects.create(
        account=business_account,
        check_id=SG,
        refresh_status=RefreshStatus.ABANDONED,
        refresh_error=reason,
    )
    page = text(root_client.get(check_url("check"), HTTP_ACCEPT_LANGUAGE="ja"))
    assert japanese in page and reason not in page
