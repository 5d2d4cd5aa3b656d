"""S3 trails act in the tenant's own AWS environment (the account's connection: an access key, or
a role assumed with the account's external id), never with the credentials Support Center runs
with. Before, a trail without keys of its own wrote with the server's identity (a confused
deputy: any tenant could have Support Center write into buckets only Support Center may reach).

moto plays the tenant's AWS account (`aws` fixture: key connections reach it). The server's own
identity is played by AWS_ACCESS_KEY_ID in the environment, which moto would accept as well: a
write that succeeded with it would show up in the bucket.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.principals import SYSTEM
from cloudtrail import services as trails
from cloudtrail.models import DeliveryProblem, Trail
from cloudtrail.tasks import trails_deliver_task
from connections import services as connections
from core.errors import InvalidParameterValueException
from tests import factories
from tests.moto_aws import KEY_ID, MOTO_ACCOUNT_ID, connect_keys, server_credentials

SERVER_KEY_ID = "AKIASERVERSOWNIDENTY"
OWN_ACCOUNT_PROBLEM = (
    "The connected role belongs to the AWS account Support Center runs in, which it never uses "
    "for an account. Connect a role in your own AWS account."
)
OWN_ACCOUNT_PROBLEM_JA = (
    "接続されているロールは、Support Center が実行されている AWS アカウントに属しています。"
    "Support Center がこのアカウントをお客様のアカウントのために使用することはありません。"
    "お客様ご自身の AWS アカウントのロールを接続してください。"
)


@pytest.fixture
def server_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials the server process runs with (as an instance role or env would give); moto
    puts them in its default account."""
    server_credentials(monkeypatch, SERVER_KEY_ID, "the-servers-own-secret")


def _objects(aws, bucket: str = "audit-logs") -> list[str]:  # type: ignore[no-untyped-def]
    listing = aws.client("s3").list_objects_v2(Bucket=bucket)
    return [o["Key"] for o in listing.get("Contents", [])]


def test_an_s3_trail_needs_the_accounts_connection(root_client, business_account) -> None:
    form = {"name": "to-s3", "destination": "s3", "s3_bucket": "audit-logs", "s3_prefix": "p"}
    page = root_client.post(reverse("cloudtrail:trails"), form)
    assert page.status_code == 400
    html = page.content.decode().replace("&#x27;", "'")
    assert trails.MSG_NOT_CONNECTED in html
    assert 'value="to-s3"' in html and 'value="audit-logs"' in html
    assert not Trail.objects.exists()
    # A local trail needs none.
    local = {"name": "here", "destination": "local"}
    assert root_client.post(reverse("cloudtrail:trails"), local).status_code == 302


def test_delivery_without_a_connection_fails_cleanly_and_never_falls_back_to_the_server(
    aws, root_client, business_account, root, server_identity
) -> None:
    connect_keys(business_account)
    trail = trails.trail_create(
        account=business_account, name="s3-trail", destination="s3", actor=root, s3_bucket="logs"
    )
    aws.client("s3").create_bucket(Bucket="logs")
    connections.aws_connection_delete(account=business_account, actor=root)
    factories.make_case(business_account, root)
    assert trails_deliver_task() == 0
    assert _objects(aws, "logs") == []  # the server's identity wrote nothing
    trail.refresh_from_db()
    assert (trail.last_error_code, trail.failures) == (DeliveryProblem.NOT_CONNECTED, 1)
    assert trail.deliveries.count() == 0 and trail.last_event_pk == 0
    page = root_client.get(reverse("cloudtrail:trails")).content.decode()
    assert "No AWS environment is connected to this account" in page
    # Reconnected, the next run delivers everything it missed.
    connect_keys(business_account)
    assert trails_deliver_task() > 0
    assert len(_objects(aws, "logs")) == 2
    trail.refresh_from_db()
    assert (trail.last_error_code, trail.failures) == ("", 0)


def test_delivery_signs_with_the_accounts_access_key(
    business_account, root, settings, listener, server_identity
) -> None:
    """The listener stands in for the connection's endpoint (the operator's
    ADVISOR_AWS_ENDPOINT_URL, not vetted: the operator chose it) and records who signed."""
    settings.ADVISOR_AWS_ENDPOINT_URL = listener.url
    connect_keys(business_account)
    trails.trail_create(
        account=business_account, name="s3-trail", destination="s3", actor=root, s3_bucket="logs"
    )
    assert trails_deliver_task() > 0
    assert [r["method"] for r in listener.requests] == ["PUT", "PUT"]  # the log and its digest
    for request in listener.requests:
        assert f"Credential={KEY_ID}/" in request["headers"]["authorization"]
        assert SERVER_KEY_ID not in str(request["headers"])


def test_delivery_assumes_the_accounts_role_with_its_external_id(
    aws, business_account, root, server_identity
) -> None:
    """A role connection: Support Center assumes the tenant's role (with its own identity and
    the account's external id, as Trusted Advisor does) and writes with the role's session. The
    role is in another account than the server's (moto lets it reach the bucket)."""
    aws.client("s3").create_bucket(Bucket="logs")
    connection = connections.aws_connection_set(
        account=business_account,
        actor=SYSTEM,
        mode="role",
        role_arn="arn:aws:iam::210987654321:role/SupportCenterTrails",
        regions=["us-east-1"],
    )
    assert connection.external_id.startswith("sc-")
    trails.trail_create(
        account=business_account, name="s3-trail", destination="s3", actor=root, s3_bucket="logs"
    )
    assert trails_deliver_task() > 0
    assert len(_objects(aws, "logs")) == 2


def test_enabling_an_s3_trail_needs_the_connection_again(
    aws, root_client, business_account, root
) -> None:
    connect_keys(business_account)
    trail = trails.trail_create(
        account=business_account, name="s3-trail", destination="s3", actor=root, s3_bucket="logs"
    )
    trails.trail_set_enabled(trail=trail, actor=root, enabled=False)
    connections.aws_connection_delete(account=business_account, actor=root)
    with pytest.raises(InvalidParameterValueException, match="Connect this account"):
        trails.trail_set_enabled(trail=trail, actor=root, enabled=True)
    page = root_client.post(
        reverse("cloudtrail:trail-state", args=["s3-trail"]), {"enabled": "1"}, follow=True
    )
    assert trails.MSG_NOT_CONNECTED in page.content.decode().replace("&#x27;", "'")
    trail.refresh_from_db()
    assert trail.enabled is False


def test_delivery_never_assumes_a_role_in_the_servers_own_account(
    aws, root_client, business_account, root, server_identity, monkeypatch, aws_calls
) -> None:
    """The server's identity changed after the role was saved (credentials rotated into the
    account the role is in): the check before every AssumeRole stops the delivery, and the
    trails page says why (before, it blamed the role's trust policy and external ID)."""
    issued = aws.client("sts").assume_role(
        RoleArn="arn:aws:iam::210987654321:role/SupportCenterServer", RoleSessionName="server"
    )["Credentials"]
    server_credentials(
        monkeypatch, issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"]
    )
    own_role = f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/OperatorAutomation"
    connections.aws_connection_set(
        account=business_account,
        actor=SYSTEM,
        mode="role",
        role_arn=own_role,  # not the server's account when saved
        regions=["us-east-1"],
    )
    trails.trail_create(
        account=business_account, name="s3-trail", destination="s3", actor=root, s3_bucket="logs"
    )
    aws.client("s3").create_bucket(Bucket="logs")  # in moto's default account, the role's
    server_credentials(monkeypatch, SERVER_KEY_ID, "the-servers-own-secret")
    aws_calls.clear()
    factories.make_case(business_account, root)
    assert trails_deliver_task() == 0
    assert _objects(aws, "logs") == []
    trail = Trail.objects.get(name="s3-trail")
    assert (trail.last_error_code, trail.failures) == (DeliveryProblem.OWN_ACCOUNT_ROLE, 1)
    assert [name for name, _ in aws_calls if name != "ListObjectsV2"] == ["GetCallerIdentity"]
    page = root_client.get(reverse("cloudtrail:trails")).content.decode()
    assert OWN_ACCOUNT_PROBLEM in page
    assert "trust policy" not in page
    japanese = root_client.get(reverse("cloudtrail:trails"), HTTP_ACCEPT_LANGUAGE="ja")
    assert OWN_ACCOUNT_PROBLEM_JA in japanese.content.decode()
