"""A customer's AWS account played by moto, for tests that connect an account with an access key.

The `aws` fixture (tests/conftest.py) wipes the session's moto server, points key connections at
it (ADVISOR_AWS_ENDPOINT_URL) and returns a `MotoAccount` for setting up resources.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from accounts.models import Account
from accounts.principals import SYSTEM
from connections.models import AwsConnection

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "secret"
# moto's default account: any access key moto did not issue itself acts there, the server's
# own (SUPPORTCENTER's environment) as much as a tenant's.
MOTO_ACCOUNT_ID = "123456789012"


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


def server_credentials(
    monkeypatch: pytest.MonkeyPatch, key_id: str, secret: str, token: str | None = None
) -> None:
    """Give the server process these credentials (as its environment or instance role would)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    if token is None:
        monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    else:
        monkeypatch.setenv("AWS_SESSION_TOKEN", token)


def no_server_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Leave the server process without credentials: none in its environment or config files,
    no container or instance role to ask."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
