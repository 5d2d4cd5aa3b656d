"""Where a trail's files go: a folder under the data directory, or an S3 bucket reached with the
account's own AWS connection.

- Credentials: an S3 trail acts in the tenant's AWS environment through
  `connections.sessions.aws_session` (the account's access key, or its role assumed with the
  account's external id), exactly as Trusted Advisor does. There is no fallback: without a
  connection nothing is sent, and the credentials Support Center itself runs with (its
  environment, instance role or config files) never sign a tenant's request.
- A tenant's endpoint: an S3-compatible endpoint the tenant typed is vetted again at every
  request by `core.netguard` (resolved once, refused unless every address is public, connected
  to the vetted address, within `S3_DEADLINE_SECONDS`), the way webhooks are. The endpoint of the
  connection itself (AWS's, or the operator's SUPPORTCENTER_ADVISOR_AWS_ENDPOINT_URL and sample
  environment) is the operator's choice and goes through botocore as usual.
- Failures: every error becomes a `DeliveryFailed` with a `DeliveryProblem`, the only thing the
  tenant sees; its `detail` (what the endpoint or the library said) is for the server's log.
"""

from __future__ import annotations

import http.client
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.parsers import ResponseParserError
from django.conf import settings

from accounts.models import Account
from cloudtrail.models import DeliveryProblem, Trail, TrailDestination
from connections import sessions
from core import netguard
from core.errors import AwsConnectionNotConfigured, OwnAccountRoleRefused

# One S3 request to a tenant's endpoint (connect, TLS, send, read the answer), and each socket
# operation within it. Read at call time, so tests can shorten them.
S3_DEADLINE_SECONDS: float = 60
S3_STEP_SECONDS: float = 20
# The most of an answer read from a tenant's endpoint: log files come back whole for "Verify
# files" (a batch of 5,000 records is a few megabytes gzipped).
MAX_ANSWER_BYTES = 64 * 1024 * 1024
# S3's error codes for credentials or permissions the endpoint would not accept.
ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AllAccessDisabled",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
    }
)


class DeliveryFailed(Exception):
    """A trail's files could not be written or read: `problem` is what the tenant is shown,
    `detail` only what the server logs."""

    def __init__(self, problem: DeliveryProblem, *, status: int | None = None, detail: str = ""):
        self.problem = problem
        self.status = status
        self.detail = detail
        super().__init__(f"{problem.value}: {detail}" if detail else problem.value)


def failure(error: BaseException) -> DeliveryFailed:
    """The `DeliveryFailed` an error of an S3 request stands for."""
    if isinstance(error, DeliveryFailed):
        return error
    detail = f"{type(error).__name__}: {error}"
    if isinstance(error, netguard.BlockedAddress):
        return DeliveryFailed(DeliveryProblem.BLOCKED_ENDPOINT, detail=detail)
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code == "NoSuchBucket":
            return DeliveryFailed(DeliveryProblem.NO_SUCH_BUCKET, status=status, detail=detail)
        if code in ("NoSuchKey", "404"):
            return DeliveryFailed(DeliveryProblem.MISSING, status=status, detail=detail)
        if code in ACCESS_DENIED_CODES:
            return DeliveryFailed(DeliveryProblem.ACCESS_DENIED, status=status, detail=detail)
        return DeliveryFailed(DeliveryProblem.REFUSED, status=status, detail=detail)
    if isinstance(error, socket.gaierror):
        return DeliveryFailed(DeliveryProblem.UNRESOLVED, detail=detail)
    if isinstance(error, TimeoutError | ConnectTimeoutError | ReadTimeoutError):
        return DeliveryFailed(DeliveryProblem.TIMED_OUT, detail=detail)
    if isinstance(
        error, netguard.ResponseTooLarge | http.client.HTTPException | ResponseParserError
    ):
        return DeliveryFailed(DeliveryProblem.BAD_ANSWER, detail=detail)
    if isinstance(
        error,
        OSError | EndpointConnectionError | BotoConnectionError | HTTPClientError | ValueError,
    ):
        return DeliveryFailed(DeliveryProblem.UNREACHABLE, detail=detail)
    return DeliveryFailed(DeliveryProblem.FAILED, detail=detail)


class Destination(Protocol):
    def write(self, key: str, data: bytes) -> None: ...
    def read(self, key: str) -> bytes: ...


@dataclass
class LocalDestination:
    root: Path

    def write(self, key: str, data: bytes) -> None:
        path = self.root / key
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError as error:  # a full disk, permissions: the path stays in the log
            raise DeliveryFailed(DeliveryProblem.WRITE_FAILED, detail=str(error)) from error

    def read(self, key: str) -> bytes:
        try:
            return (self.root / key).read_bytes()
        except OSError as error:
            raise DeliveryFailed(DeliveryProblem.MISSING, detail=str(error)) from error


def _send_vetted(request: AWSPreparedRequest, **kwargs: Any) -> AWSResponse:
    """botocore's `before-send` hook for a tenant's endpoint: every request (retries and
    redirects too) goes to a vetted address of its host, within the deadline."""
    deadline = netguard.Deadline(
        S3_DEADLINE_SECONDS, step=S3_STEP_SECONDS, max_response_bytes=MAX_ANSWER_BYTES
    )
    return netguard.send_botocore_request(request, deadline=deadline)


@dataclass
class S3Destination:
    trail: Trail
    _client: Any = field(default=None, init=False, repr=False)  # boto3 is untyped

    def client(self) -> Any:
        """An S3 client acting with the account's AWS connection. Raises `DeliveryFailed`."""
        if self._client is not None:
            return self._client
        trail = self.trail
        endpoint = trail.s3_endpoint_url
        # Vetted again here: the operator may have tightened the rules since it was saved.
        if endpoint and netguard.url_problem(endpoint) is not None:
            raise DeliveryFailed(DeliveryProblem.BLOCKED_ENDPOINT, detail=endpoint)
        try:
            session, connection_endpoint = sessions.aws_session(trail.account)
        except AwsConnectionNotConfigured as error:
            raise DeliveryFailed(DeliveryProblem.NOT_CONNECTED) from error
        # Not assumed, and never will be: "check the trust policy" would send the tenant after
        # a fault that is not there.
        except OwnAccountRoleRefused as error:
            raise DeliveryFailed(DeliveryProblem.OWN_ACCOUNT_ROLE, detail=str(error)) from error
        # The role could not be assumed.
        except (ClientError, BotoCoreError) as error:
            raise DeliveryFailed(
                DeliveryProblem.CONNECTION_FAILED, detail=f"{type(error).__name__}: {error}"
            ) from error
        config = Config(
            connect_timeout=S3_STEP_SECONDS,
            read_timeout=S3_STEP_SECONDS,
            retries={"total_max_attempts": 1},  # the next run retries
            # S3-compatible stores do not all know S3's newer checksums; the digest chain
            # protects the files anyway.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            s3={"addressing_style": "path"} if endpoint else None,
        )
        client = session.client(
            "s3",
            region_name=trail.s3_region or "us-east-1",
            endpoint_url=endpoint or connection_endpoint,
            config=config,
        )
        if endpoint:
            client.meta.events.register("before-send.s3", _send_vetted)
        self._client = client
        return client

    def _key(self, key: str) -> str:
        prefix = self.trail.s3_prefix.strip("/")
        return f"{prefix}/{key}" if prefix else key

    def write(self, key: str, data: bytes) -> None:
        try:
            self.client().put_object(Bucket=self.trail.s3_bucket, Key=self._key(key), Body=data)
        except DeliveryFailed:
            raise
        except Exception as error:  # every failure is a DeliveryFailed, in words chosen by us
            raise failure(error) from error

    def read(self, key: str) -> bytes:
        try:
            answer = self.client().get_object(Bucket=self.trail.s3_bucket, Key=self._key(key))
            return bytes(answer["Body"].read())
        except DeliveryFailed:
            raise
        except Exception as error:
            raise failure(error) from error


def trails_root(account: Account) -> Path:
    return Path(settings.DATA_DIR) / "trails" / account.account_id


def destination_for(trail: Trail) -> Destination:
    if trail.destination == TrailDestination.S3:
        return S3Destination(trail)
    return LocalDestination(trails_root(trail.account) / trail.folder)
