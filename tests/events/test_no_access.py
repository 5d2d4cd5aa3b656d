"""The "no access" page names the managed policies that would grant the missing action (read
from accounts.managed_policies.MANAGED_POLICIES), not AWSSupportAccess for everything."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.decorators import policies_allowing
from tests import factories
from tests.events.conftest import make_rule

ADVICE = "Ask the administrator of your account to attach a policy that allows it, such as:"
NO_ADVICE = "Ask the administrator of your account to attach a policy that allows it."


@pytest.mark.parametrize(
    ("action", "policies"),
    [
        ("events:PutRule", ["AmazonEventBridgeFullAccess"]),
        ("events:ListRules", ["AmazonEventBridgeFullAccess", "AmazonEventBridgeReadOnlyAccess"]),
        ("trustedadvisor:RefreshCheck", ["SupportCenterTrustedAdvisorAccess"]),
        (
            "trustedadvisor:DescribeCheckSummaries",
            ["SupportCenterTrustedAdvisorAccess", "SupportCenterReadOnlyAccess"],
        ),
        ("support:CreateCase", ["AWSSupportAccess"]),
        ("support:DescribeCases", ["AWSSupportAccess", "SupportCenterReadOnlyAccess"]),
        ("cloudtrail:LookupEvents", ["AWSCloudTrail_ReadOnlyAccess"]),
        ("cloudtrail:DescribeTrails", ["AWSCloudTrail_ReadOnlyAccess"]),
        # No managed policy grants these: the page gives no name rather than a wrong one.
        ("cloudtrail:CreateTrail", []),
        ("iam:*", []),
        ("console", []),
        (None, []),
    ],
)
def test_policies_allowing_an_action(action, policies) -> None:
    assert policies_allowing(action) == policies


def _advice(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 403
    return response.content.decode()


def test_events_actions_name_the_eventbridge_policies(client, business_account) -> None:
    make_rule(business_account, name="case-updates")
    client.force_login(factories.make_iam_user(business_account))  # AWSSupportAccess only
    page = _advice(client.get(reverse("events:rules")))
    assert "<code>events:ListRules</code>" in page and ADVICE in page
    assert "<li><code>AmazonEventBridgeFullAccess</code></li>" in page
    assert "<li><code>AmazonEventBridgeReadOnlyAccess</code></li>" in page
    assert "AWSSupportAccess" not in page
    # A reader missing a write is told about the full-access policy only.
    reader = factories.make_iam_user(business_account, policy="AmazonEventBridgeReadOnlyAccess")
    client.force_login(reader)
    for response in (
        client.get(reverse("events:create")),
        client.post(reverse("events:state", args=["case-updates"]), {"enabled": "0"}),
    ):
        assert _advice(response).count("<li><code>") == 1
        assert response.context["policies"] == ["AmazonEventBridgeFullAccess"]


def test_trusted_advisor_actions_name_the_trusted_advisor_policies(
    client, business_account
) -> None:
    client.force_login(factories.make_iam_user(business_account))  # AWSSupportAccess only
    response = client.get(reverse("advisor:dashboard"))
    page = _advice(response)
    assert response.context["policies"] == [
        "SupportCenterTrustedAdvisorAccess",
        "SupportCenterReadOnlyAccess",
    ]
    assert "<li><code>SupportCenterTrustedAdvisorAccess</code></li>" in page
    assert "AWSSupportAccess" not in page
    reader = factories.make_iam_user(business_account, policy="SupportCenterReadOnlyAccess")
    client.force_login(reader)
    refresh = client.post(reverse("advisor:refresh-all"))
    _advice(refresh)
    assert refresh.context["policies"] == ["SupportCenterTrustedAdvisorAccess"]


def test_without_a_matching_policy_the_page_names_none(client, business_account, engineer) -> None:
    client.force_login(factories.make_iam_user(business_account))
    response = client.get(reverse("cloudtrail:history"))  # cloudtrail:LookupEvents
    assert response.context["policies"] == ["AWSCloudTrail_ReadOnlyAccess"]
    # A reader creating a trail: no managed policy grants cloudtrail:CreateTrail.
    reader = factories.make_iam_user(business_account, policy="AWSCloudTrail_ReadOnlyAccess")
    client.force_login(reader)
    page = _advice(client.post(reverse("cloudtrail:trails"), {"name": "t", "destination": "local"}))
    assert NO_ADVICE in page and "<li><code>" not in page and "AWSSupportAccess" not in page
    # Support engineers have no account to attach policies in: the page leads them to the
    # console instead of advising a policy.
    client.force_login(engineer.user)
    response = client.get(reverse("events:rules"))
    page = _advice(response)
    assert response.context["policies"] == []
    assert NO_ADVICE not in page and 'href="/console/"' in page
