"""The Trusted Advisor console's AWS connection page: keys, role, sample, and its test."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Account
from audit.models import AuditEvent
from connections import services as connections
from connections.models import AwsConnection
from core import crypto
from core.errors import InvalidAwsConnection
from tests.advisor import console_data as data
from tests.advisor.view_helpers import HTMX, text

# A few specs from the captured catalog stand in for the registered checks.
pytestmark = pytest.mark.usefixtures("console_specs")


def test_connection_form_keys_role_sample_and_errors(root_client, business_account) -> None:
    page = root_client.get(reverse("advisor:connection"))
    assert "No AWS environment is connected yet." in text(page)
    assert page.context["form"]["mode"].value() == "sample"
    # The external id is the account's own, shown and never typed.
    assert page.context["external_id"] == connections.external_id_for(business_account)
    assert f'<code id="external-id">{page.context["external_id"]}</code>' in text(page)

    url = reverse("advisor:connection")
    bad_key = root_client.post(
        url, {"mode": "keys", "access_key_id": "nope", "regions": ["us-east-1"]}
    )
    assert bad_key.status_code == 400
    assert bad_key.context["form"].errors["access_key_id"] == [connections.MSG_BAD_KEY_ID]
    assert 'value="nope"' in text(bad_key)  # what was typed is kept
    assert AuditEvent.objects.get(event_name="UpdateAwsConnection").error_code == (
        InvalidAwsConnection.code
    )

    no_regions = root_client.post(url, {"mode": "sample"})
    assert no_regions.context["form"].errors["regions"] == [connections.MSG_NO_REGIONS]
    bad_role = root_client.post(
        url, {"mode": "role", "role_arn": "arn:nope", "regions": ["us-east-1"]}
    )
    assert bad_role.context["form"].errors["role_arn"] == [connections.MSG_BAD_ROLE_ARN]
    assert not AwsConnection.objects.exists()

    saved = root_client.post(
        url,
        {
            "mode": "keys",
            "access_key_id": "AKIAIOSFODNN7EXAMPLE",
            "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "regions": ["us-east-1", "eu-west-1"],
        },
        follow=True,
    )
    connection = AwsConnection.objects.get(account=business_account)
    assert connection.regions == ["us-east-1", "eu-west-1"]
    secret = crypto.decrypt(connection.secret_access_key_encrypted)
    assert secret == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    page = text(saved)
    assert "AWS environment saved." in page
    assert "AKIAIOSFODNN7EXAMPLE" in page and secret not in page  # never shown back
    assert "A secret is stored for AKIAIOSFODNN7EXAMPLE" in page

    # A blank secret keeps the stored one.
    root_client.post(
        url, {"mode": "keys", "access_key_id": "AKIAIOSFODNN7EXAMPLE", "regions": ["us-east-2"]}
    )
    connection.refresh_from_db()
    assert connection.regions == ["us-east-2"]
    assert crypto.decrypt(connection.secret_access_key_encrypted) == secret

    deleted = root_client.post(reverse("advisor:connection-delete"), follow=True)
    assert "AWS environment disconnected." in text(deleted)
    assert not AwsConnection.objects.exists()
    assert AuditEvent.objects.filter(event_name="DeleteAwsConnection").count() == 1


def test_test_connection_reports_the_account_or_the_error(
    root_client, business_account, monkeypatch
) -> None:
    url = reverse("advisor:connection-test")
    missing = root_client.post(url, **HTMX)
    assert "<html" not in text(missing) and 'id="connection-test"' in text(missing)
    assert "Connection test failed:" in text(missing)
    assert "has not connected an AWS environment" in text(missing)
    # Our own refusals in the reader's language (AWS's own error text stays as AWS wrote it).
    japanese = root_client.post(url, HTTP_ACCEPT_LANGUAGE="ja", **HTMX)
    assert "このアカウントは AWS 環境を接続していません。" in text(japanese)

    data.connect_sample(business_account)
    monkeypatch.setattr(connections, "aws_connection_verify", lambda *, account: "123456789012")
    works = root_client.post(url, **HTMX)
    assert "Connection works: AWS account 123456789012." in text(works)
    plain = root_client.post(url, follow=True)
    assert "Connection works: AWS account 123456789012." in text(plain)

    def broken(*, account: Account) -> str:
        raise InvalidAwsConnection("InvalidClientTokenId: The security token is not valid.")

    monkeypatch.setattr(connections, "aws_connection_verify", broken)
    assert "The security token is not valid." in text(root_client.post(url, **HTMX))

    def crashed(*, account: Account) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(connections, "aws_connection_verify", crashed)
    response = root_client.post(url, **HTMX)
    assert response.status_code == 200
    assert "The connection could not be tested." in text(response)
