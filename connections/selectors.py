"""Reads of the AWS connection."""

from __future__ import annotations

from accounts.models import Account
from connections.models import AwsConnection


def aws_connection_get(account: Account) -> AwsConnection | None:
    """The account's connection, or None when it has not connected an AWS environment."""
    return AwsConnection.objects.filter(account=account).first()
