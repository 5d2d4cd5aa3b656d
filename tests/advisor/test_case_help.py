"""Opening a case from a finding: the check page's "Ask for help with this" links to the technical
case form, which the advisor's provider (core.prefill) fills in with the check, the resource and
its metadata, for the signed-in principal's own findings only."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace

import pytest
from django.http import QueryDict
from django.urls import reverse

from advisor import case_help
from advisor.checks.base import Row
from advisor.models import CheckState
from cases.models import Case
from tests import factories
from tests.advisor import console_data as data
from tests.advisor.console_data import EIP, MFA, SG
from tests.advisor.view_helpers import FULL_POLICY, check_url, iam_client, resource_ids, text

pytestmark = pytest.mark.usefixtures("console_specs")


def _help_url(check_id: str, *resources: str) -> str:
    query = QueryDict(mutable=True)
    query["from"] = "trusted-advisor"
    query["check"] = check_id
    query.setlist("resource", list(resources))
    return f"{reverse('cases:create')}?{query.urlencode()}"


def _initial(response) -> dict[str, object]:
    form = response.context["form"]
    return {name: form[name].value() for name in form.fields}


def test_flagged_rows_link_to_the_case_form(root_client, business_account) -> None:
    data.seed(business_account)
    ids = resource_ids(business_account)
    page = html.unescape(text(root_client.get(check_url("check"))))
    # The red and the yellow group, not the green one.
    for group in ("sg-0000000000000000a", "sg-0000000000000000b"):
        assert f'href="{_help_url(SG, ids[group])}"' in page
    assert f'href="{_help_url(SG, ids["sg-0000000000000000c"])}"' not in page
    assert page.count(">Ask for help with this</a>") == 2
    # An account-level check asks about the check itself.
    mfa = html.unescape(text(root_client.get(check_url("check", MFA))))
    assert f'href="{_help_url(MFA)}"' in mfa


def test_only_those_who_may_open_cases_get_the_link(client, business_account) -> None:
    data.seed(business_account)
    # Trusted Advisor's full access, but not Support's: the page has no link to a form they
    # could not submit.
    page = text(iam_client(client, business_account, FULL_POLICY).get(check_url("check")))
    assert "Ask for help with this" not in page and "ask-help" not in page


def test_the_form_is_filled_in_with_the_finding(root_client, business_account) -> None:
    data.seed(business_account)
    ids = resource_ids(business_account)
    response = root_client.get(_help_url(SG, ids["sg-0000000000000000a"]))
    assert response.status_code == 200
    initial = _initial(response)
    assert initial["case_type"] == "technical"
    # Security groups are a VPC matter; the category is the service's general guidance.
    assert (initial["service"], initial["category"]) == (
        "amazon-virtual-private-cloud",
        "general-guidance",
    )
    assert initial["subject"] == (
        "Trusted Advisor: Security Groups - Specific Ports Unrestricted (sg-0000000000000000a)"
    )
    description = str(initial["description"])
    assert f"Trusted Advisor check: Security Groups - Specific Ports Unrestricted ({SG})" in (
        description
    )
    assert "Category: Security" in description
    assert (
        "Resource 1: arn:aws:ec2:us-east-1:123456789012:security-group/sg-0000000000000000a"
        in description
    )
    for line in ("Region: us-east-1", "Security Group Name: ssh-open", "Ports: 22", "Status: Red"):
        assert f"  {line}" in description
    assert "odd-port" not in description  # only the resource the link names
    # The form is a form like any other: the rendered page carries the values, editable.
    page = text(response)
    assert 'value="Trusted Advisor: Security Groups' in page
    assert '<option value="amazon-virtual-private-cloud" selected>' in page


def test_the_prefilled_form_submits_a_case(root_client, business_account) -> None:
    data.seed(business_account)
    ids = resource_ids(business_account, EIP)
    initial = _initial(root_client.get(_help_url(EIP, ids["203.0.113.10"])))
    assert initial["service"] == "amazon-elastic-compute-cloud-linux"  # Elastic IPs are EC2's
    assert initial["category"] == "instance-issue"
    posted = {
        **{k: v for k, v in initial.items() if v is not None and k != "attachments"},
        "subject": f"{initial['subject']} - can I release it?",
        "severity": "low",
        "contact_method": "web",
    }
    response = root_client.post(reverse("cases:create"), posted)
    assert response.status_code == 302, response.context["form"].errors
    case = Case.objects.get(account=business_account)
    assert case.service.code == "amazon-elastic-compute-cloud-linux"
    assert case.subject.endswith("- can I release it?")
    assert "IP Address: 203.0.113.10" in case.communications.first().body


def test_another_accounts_finding_fills_in_nothing(client, business_account, other_account) -> None:
    """A link naming another account's resource, or a check outside the plan, pre-fills
    nothing of it: the form opens as it would for a resource that does not exist."""
    data.store(other_account, SG, [data.sg_row("error", "theirs", "sg-00000000000000fff")])
    theirs = resource_ids(other_account)["sg-00000000000000fff"]
    data.seed(business_account)
    client.force_login(factories.root_of(business_account))
    form = _initial(client.get(_help_url(SG, theirs)))
    # Our own check, without the resource: nothing of theirs.
    assert "sg-00000000000000fff" not in str(form["description"])
    assert "theirs" not in str(form["description"])
    assert form["subject"] == "Trusted Advisor: Security Groups - Specific Ports Unrestricted"
    business_account.plan.full_trusted_advisor = False
    business_account.plan.save(update_fields=["full_trusted_advisor"])
    outside = _initial(
        client.get(_help_url(EIP, resource_ids(business_account, EIP)["203.0.113.10"]))
    )
    assert not outside["subject"] and not outside["description"]
    unknown = _initial(client.get(_help_url("nonsense", theirs)))
    assert not unknown["subject"] and not unknown["description"]


@pytest.mark.parametrize(
    ("check_id", "metadata", "service"),
    [
        ("Ti39halfu8", ["eu-west-1", "db-1", "No", "db.m5.large", "100", "14+", "$230"], ""),
        ("Ti39halfu8", ["eu-west-1", "db-1", "postgres", "db.m5.large"], "postgresql"),
        ("Ti39halfu8", ["eu-west-1", "db-1", "aurora-mysql", "db.r5.large"], "aurora"),
        ("0Xc6LMYG8P", ["us-east-1", "EC2", "On-Demand instances"], "compute-cloud-linux"),
        ("eI7KK0l7J9", ["us-east-1", "EBS", "Active snapshots"], "elastic-block-store"),
        # Named beside another service's feature: the service the check is about.
        ("N425c450f2", ["us-east-1", "dist-1", "cert"], "amazon-cloudfront"),
        ("xSqX82fQu", ["us-east-1", "lb-1", "sg-1"], "elastic-load-balancing"),
    ],
)
def test_the_service_is_the_checks_own(check_id, metadata, service) -> None:
    spec = SimpleNamespace(id=check_id)
    row = SimpleNamespace(metadata=metadata)
    chosen = case_help.service_for(spec, [row])  # type: ignore[arg-type]
    # An RDS finding without an engine in its metadata goes to the MySQL engine's service.
    assert chosen.endswith(service or "amazon-relational-database-service-mysql")


LIMIT = "0Xc6LMYG8P"  # EC2 On-Demand Instances (service limits)


@pytest.fixture
def limit_check(business_account):
    """A service-limit check registered beside the console's, with a Yellow and a Green row."""
    with data.registry({**data.default_specs(), LIMIT: data.make_spec(LIMIT, core=True)}):
        rows = [
            Row(
                status=status,
                arn=f"arn:aws:ec2:{region}:123456789012:limit/{region}",
                region=region,
                metadata=[region, "EC2", "On-Demand instances", "1152", usage, colour],
            )
            for status, region, usage, colour in (
                ("warning", "eu-west-1", "1000", "Yellow"),
                ("ok", "us-east-1", "8", "Green"),
            )
        ]
        data.store(business_account, LIMIT, rows)
        yield resource_ids_by_region(business_account)


def resource_ids_by_region(account) -> dict[str, str]:
    ids: dict[str, str] = {}
    for resource_id, region in CheckState.objects.get(
        account=account, check_id=LIMIT
    ).latest_result.resources.values_list("resource_id", "region"):
        ids[region] = resource_id
    return ids


def test_a_service_limit_finding_opens_a_limit_increase_case(root_client, limit_check) -> None:
    """AWS opens a "Service limit increase" case from a limit's finding: the link says so, and
    the form comes filled in with that case type, the limit's category, the limit and region."""
    page = html.unescape(text(root_client.get(check_url("check", LIMIT))))
    link = f'href="{_help_url(LIMIT, limit_check["eu-west-1"])}"'
    assert link in page
    assert page.count(">Request a limit increase</a>") == 1  # the Green row asks for nothing
    assert "Ask for help with this" not in page

    response = root_client.get(_help_url(LIMIT, limit_check["eu-west-1"]))
    initial = _initial(response)
    assert (initial["case_type"], initial["service"], initial["category"]) == (
        "service-limit-increase",
        "service-limit-increase",
        "ec2-instances",
    )
    assert initial["subject"] == "Limit increase: On-Demand instances (eu-west-1)"
    description = str(initial["description"])
    assert f"Trusted Advisor check: EC2 On-Demand Instances ({LIMIT})" in description
    for line in ("Region: eu-west-1", "Limit Name: On-Demand instances", "Limit Amount: 1152"):
        assert f"  {line}" in description
    assert "  Current Usage: 1000" in description
    assert "New limit value:" in description and "My question:" not in description
    rendered = text(response)
    assert re.search(
        r'<input type="radio" name="case_type" value="service-limit-increase"[^>]* checked>',
        rendered,
    )
    assert '<option value="ec2-instances" selected>' in rendered

    # Submitted as it stands (plus a severity), it is a limit increase case.
    posted = {
        **{k: v for k, v in initial.items() if v is not None and k != "attachments"},
        "severity": "low",
        "contact_method": "web",
    }
    created = root_client.post(reverse("cases:create"), posted)
    assert created.status_code == 302, created.context["form"].errors
    case = Case.objects.get(subject="Limit increase: On-Demand instances (eu-west-1)")
    assert (case.case_type, case.category.code) == ("service-limit-increase", "ec2-instances")


def test_a_limit_check_without_a_row_asks_about_the_check(root_client, limit_check) -> None:
    initial = _initial(root_client.get(_help_url(LIMIT)))
    assert initial["case_type"] == "service-limit-increase"
    assert initial["subject"] == "Limit increase: EC2 On-Demand Instances"


def test_a_plan_without_limit_cases_gets_a_technical_case(
    root_client, business_account, limit_check
) -> None:
    plan = business_account.plan
    plan.allows_service_limit_increase = False
    plan.save(update_fields=["allows_service_limit_increase"])
    initial = _initial(root_client.get(_help_url(LIMIT, limit_check["eu-west-1"])))
    assert initial["case_type"] == "technical"
    assert initial["service"] == "amazon-elastic-compute-cloud-linux"
