"""Connecting an account's AWS environment: access key, role (with our external id), sample.

Changes are recorded under Trusted Advisor's event source, as AWS's console does: the connection
is set up on the Trusted Advisor pages."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_noop

from accounts.models import Account
from accounts.principals import Principal
from audit import services as audit
from audit.names import TRUSTED_ADVISOR_SOURCE, AuditEventName
from audit.refusals import audit_refusals
from connections import own_account, sessions
from connections.models import AwsConnection, ConnectionMode
from connections.sessions import aws_session, caller_account_id
from core import crypto
from core.errors import InvalidAwsConnection

MSG_BAD_REGION = "Unknown region: {region}."
MSG_NO_REGIONS = gettext_noop("Choose at least one region.")
MSG_BAD_ROLE_ARN = gettext_noop(
    "Enter a role ARN such as arn:aws:iam::123456789012:role/SupportCenterAdvisor."
)
MSG_BAD_KEY_ID = gettext_noop("Enter an access key ID (16 to 128 letters and digits).")
MSG_NO_SECRET = gettext_noop("Enter the secret access key.")
MSG_NO_SAMPLE = gettext_noop("The sample environment is not available on this installation.")
ROLE_ARN_RE = re.compile(r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
KEY_ID_RE = re.compile(r"^[A-Z0-9]{16,128}$")
MSG_OWN_ACCOUNT_ROLE = own_account.MSG_OWN_ACCOUNT_ROLE

logger = logging.getLogger(__name__)


def known_regions() -> list[str]:
    return sorted(boto3.session.Session().get_available_regions("ec2"))


@audit_refusals(
    AuditEventName.UPDATE_AWS_CONNECTION,
    event_source=TRUSTED_ADVISOR_SOURCE,
    describe=lambda *, account, mode, regions, role_arn="", **_: (
        account,
        # The role a refusal named (the customer's own words), never a key or its secret.
        {"mode": mode, "regions": list(regions)}
        | ({"roleArn": role_arn.strip()} if mode == ConnectionMode.ROLE else {}),
    ),
)
def aws_connection_set(
    *,
    account: Account,
    actor: Principal,
    mode: str,
    regions: Iterable[str],
    access_key_id: str = "",
    secret_access_key: str = "",
    role_arn: str = "",
) -> AwsConnection:
    """Connect (or reconnect) the account's AWS environment. Call it outside any transaction: a
    role connection may ask STS who the server is (`connections.own_account`).

    An empty secret keeps the stored one when the key id is unchanged. A role is always assumed
    with the account's own external id (`external_id_for`), never one the customer types: with
    a chosen id, one tenant could name another's role (the confused-deputy problem). A role in
    the account Support Center runs in is refused (when the server's account cannot be learned,
    the role is accepted and checked again before every AssumeRole). The sample environment is
    offered only when `ADVISOR_SAMPLE_ENABLED`. Side effect: an audit record (the secret never
    appears in it). Raises InvalidAwsConnection with the form field.
    """
    regions = list(dict.fromkeys(r.strip() for r in regions if r.strip()))
    if not regions:
        raise InvalidAwsConnection(MSG_NO_REGIONS, field="regions")
    valid = set(known_regions())
    for region in regions:
        if region not in valid:
            raise InvalidAwsConnection(MSG_BAD_REGION.format(region=region), field="regions")
    if mode not in ConnectionMode.values:
        raise InvalidAwsConnection(f"Unknown connection mode: {mode}.", field="mode")
    if mode == ConnectionMode.SAMPLE and not settings.ADVISOR_SAMPLE_ENABLED:
        raise InvalidAwsConnection(MSG_NO_SAMPLE, field="mode")
    if mode == ConnectionMode.ROLE:
        role_arn = role_arn.strip()
        if not ROLE_ARN_RE.match(role_arn):
            raise InvalidAwsConnection(MSG_BAD_ROLE_ARN, field="role_arn")
        _refuse_own_account_role(role_arn)
    return _aws_connection_store(
        account=account,
        actor=actor,
        mode=mode,
        regions=regions,
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
        role_arn=role_arn,
    )


def _refuse_own_account_role(role_arn: str) -> None:
    try:
        own_account.refuse_own_account_role(
            sessions.server_session(), sessions.endpoint(), role_arn
        )
    except InvalidAwsConnection:
        # The tenant sees the form's error and its audit trail the refusal; the operator should
        # hear of someone naming a role in the operator's own account too.
        logger.warning("Refused a role in the server's own AWS account: %s", role_arn)
        raise
    except (BotoCoreError, ClientError) as error:
        # Accepted: without its own identity the server assumes no role at all, and
        # `sessions.session_for` checks again before every AssumeRole.
        logger.warning(
            "Role %s saved unchecked: the server's own AWS account is unknown (%s: %s)",
            role_arn,
            type(error).__name__,
            error,
        )


@transaction.atomic
def _aws_connection_store(
    *,
    account: Account,
    actor: Principal,
    mode: str,
    regions: list[str],
    access_key_id: str,
    secret_access_key: str,
    role_arn: str,
) -> AwsConnection:
    connection = AwsConnection.objects.filter(account=account).first()
    fields: dict[str, Any] = {
        "mode": mode,
        "regions": regions,
        "access_key_id": "",
        "secret_access_key_encrypted": "",
        "role_arn": "",
        "external_id": "",
    }
    if mode == ConnectionMode.KEYS:
        access_key_id = access_key_id.strip()
        if not KEY_ID_RE.match(access_key_id):
            raise InvalidAwsConnection(MSG_BAD_KEY_ID, field="access_key_id")
        fields["access_key_id"] = access_key_id
        if secret_access_key:
            fields["secret_access_key_encrypted"] = crypto.encrypt(secret_access_key)
        elif connection is not None and connection.access_key_id == access_key_id:
            fields["secret_access_key_encrypted"] = connection.secret_access_key_encrypted
        else:
            raise InvalidAwsConnection(MSG_NO_SECRET, field="secret_access_key")
    elif mode == ConnectionMode.ROLE:
        fields["role_arn"] = role_arn
        fields["external_id"] = external_id_for(account)
    if connection is None:
        connection = AwsConnection.objects.create(account=account, **fields)
    else:
        for name, value in fields.items():
            setattr(connection, name, value)
        connection.save(update_fields=[*fields, "updated_at"])
    audit.record(
        actor=actor,
        event_name=AuditEventName.UPDATE_AWS_CONNECTION,
        account=account,
        event_source=TRUSTED_ADVISOR_SOURCE,
        request_parameters={
            "mode": mode,
            "regions": regions,
            "accessKeyId": fields["access_key_id"] or None,
            "roleArn": fields["role_arn"] or None,
        },
    )
    return connection


def external_id_for(account: Account) -> str:
    """The external id Support Center sends when it assumes this account's role: the stored one,
    or one derived from the secret key (stable, unguessable, different for every account)."""
    stored = (
        AwsConnection.objects.filter(account=account)
        .exclude(external_id="")
        .values_list("external_id", flat=True)
        .first()
    )
    if stored:
        return stored
    digest = salted_hmac("advisor.external-id", account.account_id, algorithm="sha256")
    return "sc-" + digest.hexdigest()[:40]


@transaction.atomic
def aws_connection_delete(*, account: Account, actor: Principal) -> bool:
    """Disconnect the environment; results already computed stay. Returns whether one existed."""
    deleted, _ = AwsConnection.objects.filter(account=account).delete()
    if deleted:
        audit.record(
            actor=actor,
            event_name=AuditEventName.DELETE_AWS_CONNECTION,
            account=account,
            event_source=TRUSTED_ADVISOR_SOURCE,
        )
    return bool(deleted)


def aws_connection_verify(*, account: Account) -> str:
    """Reach the environment once (STS GetCallerIdentity); returns the AWS account id.

    Raises AwsConnectionNotConfigured, or InvalidAwsConnection with AWS's message.
    """
    session, endpoint_url = aws_session(account)
    try:
        return caller_account_id(session, endpoint_url)
    except (ClientError, BotoCoreError) as error:
        raise InvalidAwsConnection(str(error)) from None
