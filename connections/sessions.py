"""boto3 sessions for an account's connected AWS environment.

Three ways in: an access key (secret encrypted at rest), a role assumed with an external id
(using the credentials Support Center itself runs with, the way a SaaS reaches a customer's
account), or the moto sample environment for the demo and the tests. A role in the account
Support Center itself runs in is never assumed (`connections.own_account`).
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from django.conf import settings
from django.utils.translation import gettext_noop

from accounts.models import Account
from connections import own_account, sample
from connections.models import AwsConnection, ConnectionMode
from core import crypto
from core.errors import AwsConnectionNotConfigured

ROLE_SESSION_NAME = "SupportCenterTrustedAdvisor"
HOME_REGION = "us-east-1"
# The connection form's own message (connections.services.MSG_NO_SAMPLE), translated with it.
MSG_SAMPLE_OFF = gettext_noop("The sample environment is not available on this installation.")


def endpoint() -> str | None:
    """The operator's AWS endpoint for key and role connections (None: AWS itself)."""
    return settings.ADVISOR_AWS_ENDPOINT_URL or None


def server_session() -> Any:
    """A session with Support Center's own credentials (environment, config files, instance
    role): only ever used to assume a tenant's role, never to act in a tenant's name."""
    return boto3.Session(region_name=HOME_REGION)


def session_for(connection: AwsConnection) -> tuple[Any, str | None]:
    """A boto3 session for `connection` and the endpoint URL its clients must use (or None).

    Raises botocore's ClientError / BotoCoreError when a role cannot be assumed (or the
    server's own account cannot be learned first), OwnAccountRoleRefused for a role in the
    server's own account (AssumeRole is not called), and AwsConnectionNotConfigured for the
    sample environment when it is off.
    """
    if connection.mode == ConnectionMode.SAMPLE:
        # Connected while the demo was on: without it, no moto server is started for it (one
        # would start inside this process, some 300 MB).
        if not settings.ADVISOR_SAMPLE_ENABLED:
            raise AwsConnectionNotConfigured(MSG_SAMPLE_OFF)
        session = boto3.Session(**sample.SAMPLE_CREDENTIALS, region_name=HOME_REGION)
        return session, sample.endpoint()
    if connection.mode == ConnectionMode.KEYS:
        session = boto3.Session(
            aws_access_key_id=connection.access_key_id,
            aws_secret_access_key=crypto.decrypt(connection.secret_access_key_encrypted),
            region_name=HOME_REGION,
        )
        return session, endpoint()
    # Role: assume it with our own credentials; the external id guards against confused deputies
    # across tenants, and the server's own account is refused here, before every AssumeRole (the
    # connection may have been saved when the server had another identity, or none).
    server = server_session()
    own_account.refuse_own_account_role(server, endpoint(), connection.role_arn)
    sts = server.client("sts", endpoint_url=endpoint(), config=Config(retries={"max_attempts": 3}))
    params = {"RoleArn": connection.role_arn, "RoleSessionName": ROLE_SESSION_NAME}
    if connection.external_id:
        params["ExternalId"] = connection.external_id
    credentials = sts.assume_role(**params)["Credentials"]
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=HOME_REGION,
    )
    return session, endpoint()


def aws_session(account: Account) -> tuple[Any, str | None]:
    """The session for `account`'s environment. Raises AwsConnectionNotConfigured."""
    connection = AwsConnection.objects.filter(account=account).first()
    if connection is None:
        raise AwsConnectionNotConfigured()
    return session_for(connection)


def caller_account_id(session: Any, endpoint_url: str | None) -> str:
    """The AWS account id the session acts in (STS GetCallerIdentity needs no permission)."""
    sts = session.client("sts", region_name=HOME_REGION, endpoint_url=endpoint_url)
    return str(sts.get_caller_identity()["Account"])
