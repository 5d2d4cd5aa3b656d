"""No tenant's connection may name a role in the AWS account Support Center itself runs in.

Support Center assumes a tenant's role with its own credentials. A role in the operator's own
account that trusts those credentials without asking for an external id would otherwise be
assumed for any tenant who names it (a confused deputy). moto plays AWS: the server's own
credentials (its environment) act in moto's default account unless they were issued for a role
moto assumed in another; `aws_calls` shows what was asked of AWS.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError
from django.urls import reverse

from accounts.principals import SYSTEM
from advisor import services as advisor
from advisor.models import RefreshStatus
from advisor.tasks import advisor_check_run_task
from audit.models import AuditEvent
from connections import own_account, sessions
from connections import services as connections
from connections.models import AwsConnection
from core.errors import InvalidAwsConnection
from tests.advisor.view_helpers import text
from tests.moto_aws import (
    KEY_ID,
    MOTO_ACCOUNT_ID,
    SECRET,
    no_server_credentials,
    server_credentials,
)

SERVER_KEY_ID = "AKIASERVERSOWNIDENTY"
OWN_ROLE = f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/OperatorAutomation"
TENANT_ROLE = "arn:aws:iam::210987654321:role/SupportCenterAdvisor"
EIP_CHECK = "Z4AUBRNSmz"
MSG_JA = (
    "このロールは、このサービスが実行されているアカウントに属しているため、使用できません。"
    "お客様ご自身の AWS アカウントのロールの ARN を入力してください。"
)


@pytest.fixture
def server_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's own credentials: moto's default account, where OWN_ROLE is."""
    server_credentials(monkeypatch, SERVER_KEY_ID, "the-servers-own-secret")


def _role_form(role_arn: str) -> dict[str, Any]:
    return {"mode": "role", "role_arn": role_arn, "regions": ["us-east-1"]}


def _operations(calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [name for name, _params in calls]


def test_a_role_in_the_servers_own_account_is_refused_beside_its_field(
    root_client, business_account, aws, server_identity, aws_calls
) -> None:
    url = reverse("advisor:connection")
    refused = root_client.post(url, _role_form(f"  {OWN_ROLE} "))
    assert refused.status_code == 400
    assert refused.context["form"].errors["role_arn"] == [connections.MSG_OWN_ACCOUNT_ROLE]
    html = text(refused).replace("&#x27;", "'")
    assert "belongs to the account this service runs in" in html
    assert f'value="  {OWN_ROLE} "' in html  # what was typed is kept
    assert not AwsConnection.objects.exists()
    # Refusals of this form are audited: this one names the role the customer typed.
    record = AuditEvent.objects.get(event_name="UpdateAwsConnection")
    assert record.error_code == InvalidAwsConnection.code
    assert record.error_message == connections.MSG_OWN_ACCOUNT_ROLE
    assert record.request_parameters == {
        "mode": "role",
        "regions": ["us-east-1"],
        "roleArn": OWN_ROLE,
    }
    assert record.recipient_account_id == business_account.account_id

    japanese = root_client.post(url, _role_form(OWN_ROLE), HTTP_ACCEPT_LANGUAGE="ja")
    assert japanese.status_code == 400
    assert MSG_JA in text(japanese) and f'value="{OWN_ROLE}"' in text(japanese)

    # The account number decides, whatever partition the ARN names.
    gov = root_client.post(url, _role_form(f"arn:aws-us-gov:iam::{MOTO_ACCOUNT_ID}:role/Ops"))
    assert gov.context["form"].errors["role_arn"] == [connections.MSG_OWN_ACCOUNT_ROLE]
    assert not AwsConnection.objects.exists()
    # STS was asked who the server is, once for the three forms, and no role was assumed.
    assert _operations(aws_calls) == ["GetCallerIdentity"]

    # A role in the tenant's own account is saved as before.
    saved = root_client.post(url, _role_form(TENANT_ROLE), follow=True)
    assert "AWS environment saved." in text(saved)
    assert AwsConnection.objects.get(account=business_account).role_arn == TENANT_ROLE

    # An access key is the tenant's own, whatever account it is in (moto's default here).
    keys = {"mode": "keys", "access_key_id": KEY_ID, "secret_access_key": SECRET}
    assert root_client.post(url, keys | {"regions": ["us-east-1"]}).status_code == 302
    assert connections.aws_connection_verify(account=business_account) == MOTO_ACCOUNT_ID


def test_a_role_saved_without_server_credentials_is_never_assumed_once_it_is_ours(
    root_client,
    business_account,
    aws,
    aws_calls,
    monkeypatch,
    tmp_path: Path,
    caplog,
    django_capture_on_commit_callbacks,
) -> None:
    # Without credentials the server cannot learn its account: the form accepts the role (it
    # could not be assumed anyway) and says so in the log.
    no_server_credentials(monkeypatch, tmp_path)
    with caplog.at_level(logging.WARNING, logger="connections.services"):
        saved = root_client.post(reverse("advisor:connection"), _role_form(OWN_ROLE))
    assert saved.status_code == 302
    assert "saved unchecked" in caplog.text
    assert AwsConnection.objects.get(account=business_account).role_arn == OWN_ROLE

    # Credentials arrive, in the account the role is in: a refresh refuses to assume it.
    server_credentials(monkeypatch, SERVER_KEY_ID, "the-servers-own-secret")
    with django_capture_on_commit_callbacks(execute=False):
        state = advisor.advisor_check_refresh(
            account=business_account, check_id=EIP_CHECK, actor=SYSTEM
        )
    assert advisor_check_run_task(state.pk) is True
    state.refresh_from_db()
    assert state.refresh_status == RefreshStatus.ABANDONED
    assert state.refresh_error == connections.MSG_OWN_ACCOUNT_ROLE
    assert "AssumeRole" not in _operations(aws_calls)
    assert "GetCallerIdentity" in _operations(aws_calls)
    check = reverse("advisor:check", args=[EIP_CHECK])
    page = text(root_client.get(check)).replace("&#x27;", "'")
    assert "The last refresh was abandoned: " + connections.MSG_OWN_ACCOUNT_ROLE in page
    assert MSG_JA in text(root_client.get(check, HTTP_ACCEPT_LANGUAGE="ja"))

    # The connection test refuses it the same way.
    tested = root_client.post(reverse("advisor:connection-test"), follow=True)
    assert "Connection test failed: This role belongs to the account" in text(tested).replace(
        "&#x27;", "'"
    )
    assert "AssumeRole" not in _operations(aws_calls)


def test_an_unknown_server_account_blocks_the_assume_role_but_not_the_form(
    business_account, aws, server_identity, aws_calls, settings
) -> None:
    # STS does not answer (nothing listens there): the save waits a bounded time and keeps the
    # role; every later use fails closed, before AssumeRole.
    settings.ADVISOR_AWS_ENDPOINT_URL = "http://127.0.0.1:9"
    connection = connections.aws_connection_set(
        account=business_account,
        actor=SYSTEM,
        mode="role",
        role_arn=OWN_ROLE,
        regions=["us-east-1"],
    )
    with pytest.raises(BotoCoreError):
        sessions.session_for(connection)
    assert set(_operations(aws_calls)) == {"GetCallerIdentity"}


def test_the_servers_account_is_learned_once_per_credentials_and_for_a_while(
    business_account, aws, server_identity, aws_calls, monkeypatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(own_account, "monotonic", lambda: now[0])

    def save(role_arn: str = TENANT_ROLE) -> None:
        connections.aws_connection_set(
            account=business_account,
            actor=SYSTEM,
            mode="role",
            role_arn=role_arn,
            regions=["us-east-1"],
        )

    def asked() -> int:
        return _operations(aws_calls).count("GetCallerIdentity")

    save()
    save()
    assert asked() == 1
    now[0] += own_account.IDENTITY_TTL_SECONDS + 1
    save()
    assert asked() == 2
    # New credentials are asked about at once: here the server became a role in the tenant's
    # account, and the tenant's role is then refused in turn.
    issued = aws.client("sts").assume_role(RoleArn=TENANT_ROLE, RoleSessionName="server")
    credentials = issued["Credentials"]
    server_credentials(
        monkeypatch,
        credentials["AccessKeyId"],
        credentials["SecretAccessKey"],
        credentials["SessionToken"],
    )
    aws_calls.clear()
    with pytest.raises(InvalidAwsConnection) as refused:
        save()
    assert (refused.value.field, refused.value.message) == (
        "role_arn",
        connections.MSG_OWN_ACCOUNT_ROLE,
    )
    assert asked() == 1
    save(OWN_ROLE)  # moto's default account is no longer the server's
    assert asked() == 1
