"""Behind a reverse proxy (SUPPORTCENTER_TRUSTED_PROXY_COUNT=1) every request comes from the
proxy's address: sign-in lockouts are per client (the address the proxy forwards), not for
everyone, and the audit trail records the client's address."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from tests import factories

PROXY = "10.0.0.2"
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.20"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def sign_in(client, email: str, password: str, forwarded: str):
    return client.post(
        reverse("accounts:sign-in"),
        {"email": email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_lockout_is_per_forwarded_client(client, business_account, settings, behind_proxy) -> None:
    root = factories.root_of(business_account)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, root.email, "nope", ATTACKER).status_code == 200
    assert sign_in(client, root.email, "nope", ATTACKER).status_code == 429  # the last one
    assert sign_in(client, root.email, factories.PASSWORD, ATTACKER).status_code == 429
    # A forged address to the left of the proxy's entry changes nothing.
    forged = f"192.0.2.1, {ATTACKER}"
    assert sign_in(client, root.email, factories.PASSWORD, forged).status_code == 429
    # The owner, behind the same proxy, still signs in.
    response = sign_in(client, root.email, factories.PASSWORD, OWNER)
    assert response.status_code == 302 and response["Location"] == reverse("cases:list")
    failures = AuditEvent.objects.filter(event_name="ConsoleLogin", error_message__gt="")
    assert set(failures.values_list("source_ip", flat=True)) == {ATTACKER}
    success = AuditEvent.objects.get(event_name="ConsoleLogin", error_message="")
    assert success.source_ip == OWNER


def test_without_trusted_proxies_the_header_is_ignored(client, business_account, settings) -> None:
    """TRUSTED_PROXY_COUNT=0 (the default): a client cannot choose its address by sending the
    header, so it cannot escape its lockout that way."""
    root = factories.root_of(business_account)
    for number in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, root.email, "nope", f"192.0.2.{number}")
    assert sign_in(client, root.email, factories.PASSWORD, OWNER).status_code == 429
    record = AuditEvent.objects.filter(event_name="ConsoleLogin").first()
    assert record is not None and record.source_ip == PROXY


def test_pages_record_the_forwarded_client(client, business_account, behind_proxy) -> None:
    client.force_login(factories.root_of(business_account))
    response = client.post(
        reverse("cases:create"),
        {
            "case_type": "technical",
            "service": "amazon-elastic-compute-cloud-linux",
            "category": "instance-issue",
            "severity": "low",
            "subject": "Behind the proxy",
            "description": "Hello",
            "language": "en",
            "contact_method": "web",
        },
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"192.0.2.1, {OWNER}",
    )
    assert response.status_code == 302
    assert AuditEvent.objects.get(event_name="CreateCase").source_ip == OWNER
