"""Who may see and change what in the Trusted Advisor console, and its pages in Japanese."""

from __future__ import annotations

import pytest
from django.urls import reverse

from advisor.models import ResourceExclusion
from connections.models import AwsConnection
from tests import factories
from tests.advisor import console_data as data
from tests.advisor.console_data import EIP, SG
from tests.advisor.view_helpers import (
    FULL_POLICY,
    HTMX,
    NO_TA_POLICY,
    READ_ONLY_POLICY,
    check_url,
    iam_client,
    resource_ids,
    text,
)

# A few specs from the captured catalog stand in for the registered checks.
pytestmark = pytest.mark.usefixtures("console_specs")


# --- access --------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(client, reference_data) -> None:
    for url in (reverse("advisor:dashboard"), check_url("check"), reverse("advisor:connection")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:sign-in"))


def test_root_and_full_access_iam_user_see_every_page(client, business_account) -> None:
    data.seed(business_account)
    data.connect_sample(business_account)
    for who in ("root", "iam"):
        if who == "root":
            client.force_login(factories.root_of(business_account))
        else:
            iam_client(client, business_account, FULL_POLICY)
        dashboard = client.get(reverse("advisor:dashboard"))
        assert dashboard.status_code == 200, who
        assert "Refresh all checks" in text(dashboard)
        page = client.get(check_url("check"))
        assert page.status_code == 200
        assert "Exclude selected" in text(page) and "Include selected" in text(page)
        assert ">Refresh</button>" in text(page)
        assert client.get(reverse("advisor:connection")).status_code == 200
        assert client.get(check_url("check-download")).status_code == 200


def test_read_only_iam_user_sees_results_but_changes_nothing(client, business_account) -> None:
    data.seed(business_account)
    data.connect_sample(business_account)
    iam_client(client, business_account, READ_ONLY_POLICY)
    dashboard = client.get(reverse("advisor:dashboard"))
    assert dashboard.status_code == 200
    assert "Refresh all checks" not in text(dashboard)
    assert reverse("advisor:connection") not in text(dashboard)
    page = client.get(check_url("check"))
    assert page.status_code == 200
    assert "sg-0000000000000000a" in text(page)
    assert "Exclude selected" not in text(page) and ">Refresh</button>" not in text(page)
    assert 'type="checkbox"' not in text(page)
    ids = resource_ids(business_account)
    for url, payload in (
        (check_url("check-refresh"), {}),
        (check_url("check-exclude"), {"resource_ids": [ids["sg-0000000000000000a"]]}),
        (reverse("advisor:refresh-all"), {}),
        (reverse("advisor:connection-delete"), {}),
    ):
        response = client.post(url, payload)
        assert response.status_code == 403, url
    assert client.get(reverse("advisor:connection")).status_code == 403
    assert not ResourceExclusion.objects.exists()
    assert AwsConnection.objects.filter(account=business_account).exists()


def test_users_without_trusted_advisor_permissions_get_403(client, business_account) -> None:
    data.seed(business_account)
    iam_client(client, business_account, NO_TA_POLICY)
    for url in (
        reverse("advisor:dashboard"),
        check_url("check"),
        check_url("check-download"),
        check_url("check-progress"),
        reverse("advisor:connection"),
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "trustedadvisor:" in text(response)


def test_engineers_get_403(client, engineer) -> None:
    client.force_login(engineer.user)
    assert client.get(reverse("advisor:dashboard")).status_code == 403


def test_another_accounts_data_never_shows(root_client, business_account, other_account) -> None:
    data.seed(business_account)
    data.store(other_account, SG, [data.sg_row("error", "theirs", "sg-0ffffffffffffffff")])
    data.store(other_account, EIP, [data.eip_row("198.51.100.7", savings=999.0)])
    data.connect_sample(other_account)
    dashboard = text(root_client.get(reverse("advisor:dashboard")))
    assert "Connect your AWS environment" in dashboard  # their connection isn't ours
    assert 'id="savings">$7.20<' in dashboard  # not $1,006.20
    assert 'id="count-error">2<' in dashboard
    page = text(root_client.get(check_url("check")))
    assert "sg-0ffffffffffffffff" not in page and "theirs" not in page
    assert 'id="count-processed">5<' in page
    download = b"".join(root_client.get(check_url("check-download")).streaming_content)
    assert b"theirs" not in download and download.decode().count("\n") == 4
    # Their resource ids change nothing, here or there.
    theirs = resource_ids(other_account)["sg-0ffffffffffffffff"]
    response = root_client.post(check_url("check-exclude"), {"resource_ids": [theirs]}, **HTMX)
    assert "0 resources excluded." in text(response)
    assert not ResourceExclusion.objects.exists()


def test_unknown_check_ids_are_404(root_client, business_account) -> None:
    data.connect_sample(business_account)
    for name in ("check", "check-progress", "check-download"):
        assert root_client.get(check_url(name, "nOtAcHeCk")).status_code == 404, name
    for name in ("check-refresh", "check-exclude", "check-include"):
        assert root_client.post(check_url(name, "nOtAcHeCk")).status_code == 404, name


# --- language ------------------------------------------------------------------------------------


def test_pages_render_in_japanese(root_client, business_account) -> None:
    data.seed(business_account)
    for url in (reverse("advisor:dashboard"), check_url("check"), reverse("advisor:connection")):
        response = root_client.get(url, HTTP_ACCEPT_LANGUAGE="ja")
        assert response.status_code == 200
        assert '<html lang="ja">' in text(response)
        assert "サポートケース" in text(response)  # the navigation is translated already
    dashboard = text(root_client.get(reverse("advisor:dashboard"), HTTP_ACCEPT_LANGUAGE="ja"))
    assert "月間の推定削減額" in dashboard
    assert any(
        status in dashboard
        for status in ("対処が必要です", "調査が推奨されます", "問題は検出されませんでした")
    )
    check = text(root_client.get(check_url("check"), HTTP_ACCEPT_LANGUAGE="ja"))
    for phrase in ("選択した項目を除外", "CSV をダウンロード", "アラート基準", "推奨される"):
        assert phrase in check
    assert "ステータス" in text(root_client.get(check_url("check"), HTTP_ACCEPT_LANGUAGE="ja"))
