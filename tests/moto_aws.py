"""A customer's AWS account played by moto, for tests that connect an account with an access key.

The `aws` fixture (tests/conftest.py) wipes the session's moto server, points key connections at
it (ADVISOR_AWS_ENDPOINT_URL) and returns a `MotoAccount` for setting up resources.
"""

from __future__ import annotations

from typing import Any

import boto3

from accounts.models import Account
from accounts.principals import SYSTEM
from connections.models import AwsConnection

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "secret"


class MotoAccount:
    """boto3 clients for the moto account that key connections reach."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = boto3.Session(
            aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET, region_name="us-east-1"
        )

    def client(self, service: str, region: str = "us-east-1") -> Any:
        return self.session.client(service, region_name=region, endpoint_url=self.url)


def connect_keys(account: Account, **kwargs: Any) -> AwsConnection:
    """Connect `account` to moto with an access key (keyword arguments override the defaults)."""
    from connections import services as connections

    params: dict[str, Any] = {
        "account": account,
        "actor": SYSTEM,
        "mode": "keys",
        "access_key_id": KEY_ID,
        "secret_access_key": SECRET,
        "regions": ["us-east-1"],
    }
    params.update(kwargs)
    return connections.aws_connection_set(**params)
