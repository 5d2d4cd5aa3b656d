"""Helpers shared by the Trusted Advisor console tests: htmx requests, policies, URLs, pages.

Results are stored with `advisor.services.result_store` (see console_data), so nothing here
talks to AWS; a few specs from the captured catalog stand in for the registered checks
(the `console_specs` fixture in conftest.py).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from accounts.models import Account
from advisor.models import CheckState
from tests import factories
from tests.advisor.console_data import SG

HTMX = {"HTTP_HX_REQUEST": "true"}
FULL_POLICY = "SupportCenterTrustedAdvisorAccess"  # trustedadvisor:* (and events:*)
READ_ONLY_POLICY = "SupportCenterReadOnlyAccess"  # trustedadvisor:Describe*
NO_TA_POLICY = "AWSSupportAccess"  # support:* only


def iam_client(client: Client, account: Account, policy: str | None) -> Client:
    client.force_login(factories.make_iam_user(account, policy=policy))
    return client


def check_url(name: str, check_id: str = SG) -> str:
    return reverse(f"advisor:{name}", args=[check_id])


def resource_ids(account: Account, check_id: str = SG) -> dict[str, str]:
    """Security group id (or address) -> the API's resource id, from the latest result."""
    state = CheckState.objects.select_related("latest_result").get(
        account=account, check_id=check_id
    )
    return {
        r.metadata[2 if check_id == SG else 1]: r.resource_id
        for r in state.latest_result.resources.all()
    }


def text(response: HttpResponse) -> str:
    return response.content.decode()
