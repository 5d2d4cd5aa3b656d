"""Checks outside the account's plan, as AWS's console shows them to Basic and Developer
customers: listed in their categories, locked, with the plans (as configured) that include them;
their page says so and shows nothing else, and every action on them is refused as before."""

from __future__ import annotations

import pytest
from django.urls import reverse

from advisor.models import CheckState, ResourceExclusion
from audit.models import AuditEvent
from catalog.models import SupportPlan
from tests import factories
from tests.advisor import console_data as data
from tests.advisor.console_data import EIP, MFA, SG
from tests.advisor.view_helpers import FULL_POLICY, HTMX, check_url, iam_client, text

# A few specs from the captured catalog stand in for the registered checks; EIP is not core.
pytestmark = pytest.mark.usefixtures("console_specs")


@pytest.fixture
def basic_account(reference_data):  # type: ignore[no-untyped-def]
    return factories.make_account("basic")


@pytest.fixture
def basic_client(client, basic_account):  # type: ignore[no-untyped-def]
    client.force_login(factories.root_of(basic_account))
    return client


def _as_former_business_customer(account) -> None:  # type: ignore[no-untyped-def]
    """Results stored while the account's plan included every check (it moved to Basic since):
    the locked check's must never show, nor count."""
    data.seed(account)


def _locked_row(page: str, check_id: str) -> str:
    start = page.index(f'data-locked-check="{check_id}"')
    return page[start : page.index("</tr>", start)]


# --- the dashboard -------------------------------------------------------------------------------


def test_the_dashboard_lists_locked_checks_without_counting_them(
    basic_client, basic_account
) -> None:
    _as_former_business_customer(basic_account)
    data.connect_sample(basic_account)
    response = basic_client.get(reverse("advisor:dashboard"))
    page = text(response)
    # Every category with a registered check is shown, the one with only a locked check too.
    assert 'id="category-cost_optimizing"' in page and 'id="category-security"' in page
    row = _locked_row(page, EIP)
    assert check_url("check", EIP) in row
    # Locked in words, not by the icon alone, and no result of the old run.
    assert '<span class="ta-icon" aria-hidden="true">🔒</span> Locked</span>' in row
    assert "Needs the Business or Enterprise support plan" in row
    assert "203.0.113" not in page and "of 4" not in row and "Never" not in row
    # SG and MFA are red; the old EIP result (yellow, $7.20) counts nowhere.
    assert 'id="count-error">2<' in page
    assert 'id="count-warning">0<' in page
    assert 'id="count-ok">0<' in page
    assert 'id="count-not-refreshed"' not in page
    assert 'id="savings"' not in page and "$7.20" not in page
    assert '<span class="visually-hidden">Locked:</span> 1</span>' in page
    assert '<span class="visually-hidden">Investigation recommended:</span> 0</span>' in page
    # The history and the refresh-all cover the plan's checks only: SG's 2 and MFA's 1.
    assert [point["flagged"] for point in response.context["history"]] == [2 + 1]
    note = page[page.index('id="plan-note"') : page.index("</p>", page.index('id="plan-note"'))]
    assert "The 1 check marked as locked needs the Business or Enterprise support plan." in note
    assert f'<a href="{reverse("cases:plan")}" id="plan-link">Compare support plans</a>' in note
    basic_client.post(reverse("advisor:refresh-all"))
    enqueued = CheckState.objects.filter(account=basic_account, refresh_status="enqueued")
    assert set(enqueued.values_list("check_id", flat=True)) == {SG, MFA}


def test_a_full_plan_has_nothing_locked(root_client, business_account) -> None:
    data.seed(business_account)
    page = text(root_client.get(reverse("advisor:dashboard")))
    assert "data-locked-check" not in page and "Locked" not in page
    assert 'id="plan-note"' not in page


def test_the_plans_named_are_the_configured_ones(basic_client, basic_account) -> None:
    SupportPlan.objects.filter(code="enterprise").update(full_trusted_advisor=False)
    page = text(basic_client.get(reverse("advisor:dashboard")))
    assert "The 1 check marked as locked needs the Business support plan." in page
    SupportPlan.objects.filter(code="enterprise").update(full_trusted_advisor=True)
    SupportPlan.objects.create(
        code="on-ramp",
        name="Enterprise On-Ramp",
        name_ja="エンタープライズ On-Ramp",
        position=4,
        full_trusted_advisor=True,
    )
    SupportPlan.objects.filter(code="enterprise").update(position=5)
    page = text(basic_client.get(reverse("advisor:dashboard")))
    assert "needs the Business, Enterprise On-Ramp or Enterprise support plan." in page
    detail = text(basic_client.get(check_url("check", EIP), HTTP_ACCEPT_LANGUAGE="ja"))
    assert "ビジネス、エンタープライズ On-Ramp、またはエンタープライズ サポートプラン" in detail
    SupportPlan.objects.update(full_trusted_advisor=False)
    page = text(basic_client.get(reverse("advisor:dashboard")))
    assert "The 1 check marked as locked is not included with any support plan" in page
    assert "Needs the" not in page
    detail = text(basic_client.get(check_url("check", EIP)))
    assert "No support plan includes it at the moment." in detail


def test_the_dashboard_in_japanese(basic_client, basic_account) -> None:
    page = text(basic_client.get(reverse("advisor:dashboard"), HTTP_ACCEPT_LANGUAGE="ja"))
    row = _locked_row(page, EIP)
    assert "ロックされています" in row
    assert "ビジネスまたはエンタープライズ サポートプランが必要です" in row
    assert (
        "ロックされている 1 件のチェックには、ビジネスまたはエンタープライズ サポートプランが"
        "必要です。" in page
    )
    assert "サポートプランを比較" in page
    assert (
        "コスト最適化チェックは、ビジネスまたはエンタープライズ サポートプランでご利用いただけ"
        "ます。" in page
    )


# --- a locked check's page -----------------------------------------------------------------------


def test_a_locked_checks_page_explains_and_shows_nothing_else(basic_client, basic_account) -> None:
    _as_former_business_customer(basic_account)
    data.connect_sample(basic_account)
    response = basic_client.get(check_url("check", EIP), {"status": "warning"})
    assert response.status_code == 200
    page = text(response)
    assert "<h1>Unassociated Elastic IP Addresses</h1>" in page
    assert "Cost optimization" in page and f"<code>{EIP}</code>" in page
    assert "Checks Unassociated Elastic IP Addresses &lt;for tests&gt;." in page  # description
    assert "Your Basic support plan does not include this check." in page
    assert "It is included with the Business or Enterprise support plan." in page
    assert '<span class="ta-icon" aria-hidden="true">🔒</span> Locked</span>' in page
    assert f'href="{reverse("cases:plan")}" id="plan-link">Compare support plans</a>' in page
    # No result, no refresh, no exclusions, no download, no link to a case.
    content = page[page.index("<h1>") : page.index("</main>")]
    for absent in (
        "203.0.113",
        "Refresh",
        'id="refresh"',
        "Exclude selected",
        'type="checkbox"',
        "Download CSV",
        check_url("check-download", EIP),
        check_url("check-progress", EIP),
        "Ask for help",
        "hx-get",
        "hx-post",
        "<form",
    ):
        assert absent not in content, absent
    # A results region reloading itself (the plan changed meanwhile) becomes the explanation.
    partial = text(basic_client.get(check_url("check", EIP), **HTMX)).strip()
    assert partial.startswith('<section id="check-result" class="panel ta-locked-panel"')
    assert "203.0.113" not in partial and "<html" not in partial


def test_a_locked_checks_page_in_japanese(basic_client) -> None:
    page = text(basic_client.get(check_url("check", EIP), HTTP_ACCEPT_LANGUAGE="ja"))
    assert "ロックされています" in page
    assert "ご利用の ベーシック サポートプランには、このチェックは含まれていません。" in page
    assert "このチェックは、ビジネスまたはエンタープライズ サポートプランに含まれています。" in page
    assert "サポートプランを比較" in page


def test_the_plan_link_is_only_for_those_who_may_open_the_plan_page(client, basic_account) -> None:
    # Trusted Advisor's full policy does not include support:DescribeSeverityLevels.
    iam_client(client, basic_account, FULL_POLICY)
    page = text(client.get(check_url("check", EIP)))
    assert "It is included with the Business or Enterprise support plan." in page
    assert reverse("cases:plan") not in page
    assert reverse("cases:plan") not in text(client.get(reverse("advisor:dashboard")))


def test_every_action_on_a_locked_check_is_refused_as_before(basic_client, basic_account) -> None:
    _as_former_business_customer(basic_account)
    data.connect_sample(basic_account)
    state_before = CheckState.objects.get(account=basic_account, check_id=EIP)
    [resource] = [
        r for r in state_before.latest_result.resources.all() if r.metadata[1] == "203.0.113.10"
    ]
    for name in ("check-progress", "check-download"):
        for headers in ({}, HTMX):
            assert basic_client.get(check_url(name, EIP), **headers).status_code == 404, name
    for name in ("check-refresh", "check-exclude", "check-include"):
        payload = {"resource_ids": [resource.resource_id]}
        for headers in ({}, HTMX):
            response = basic_client.post(check_url(name, EIP), payload, **headers)
            assert response.status_code == 404, name
    state = CheckState.objects.get(account=basic_account, check_id=EIP)
    assert (state.refresh_status, state.refresh_requested_at) == (
        state_before.refresh_status,
        state_before.refresh_requested_at,
    )
    assert not ResourceExclusion.objects.exists()
    assert not AuditEvent.objects.filter(event_name="RefreshCheck").exists()
    # The case form's Trusted Advisor help does not leak it either.
    help_query = {"from": "trusted-advisor", "check": EIP}
    form = text(basic_client.get(reverse("cases:create"), help_query))
    assert "203.0.113" not in form
    # Unknown ids are still not found, on the page too.
    assert basic_client.get(check_url("check", "nOtAcHeCk")).status_code == 404


# --- query counts --------------------------------------------------------------------------------


def _more_locked_specs(count: int) -> dict:  # type: ignore[type-arg]
    """The default specs and `count` more of the catalog's checks, none of them core."""
    from advisor.checks.base import catalog

    specs = data.default_specs()
    others = [c for c in catalog() if c not in specs][:count]
    return {**specs, **{check_id: data.make_spec(check_id, core=False) for check_id in others}}


@pytest.mark.parametrize("extra", [0, 12])
def test_query_counts_do_not_grow_with_locked_checks(
    basic_client, basic_account, extra, django_assert_num_queries
) -> None:
    data.seed(basic_account)
    data.connect_sample(basic_account)
    with data.registry(_more_locked_specs(extra)):
        # 1 session; 2 user with account and plan; 3 the plan's checks' states with their
        # latest results; 4 the plans that include every check; 5 the AWS connection;
        # 6 the flagged-resources history.
        with django_assert_num_queries(6):
            response = basic_client.get(reverse("advisor:dashboard"))
        assert text(response).count("data-locked-check=") == 1 + extra
        # 1 session; 2 user with account and plan; 3 the plans that include the check.
        with django_assert_num_queries(3):
            response = basic_client.get(check_url("check", EIP))
        assert response.status_code == 200


def test_developer_plan_sees_the_same(client, reference_data) -> None:
    account = factories.make_account("developer")
    client.force_login(factories.root_of(account))
    page = text(client.get(reverse("advisor:dashboard")))
    assert f'data-locked-check="{EIP}"' in page
    assert f'data-locked-check="{SG}"' not in page and f'data-locked-check="{MFA}"' not in page
    assert client.get(check_url("check", EIP)).status_code == 200
    assert client.post(check_url("check-refresh", EIP)).status_code == 404
