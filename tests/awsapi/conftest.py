"""A real boto3 client wired to Django's test client (botocore's before-send hook), so every
test speaks the wire protocol without a network, and query counts can be asserted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import boto3
import pytest
import time_machine
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError
from django.utils import timezone

from accounts.models import Account
from accounts.principals import SYSTEM
from accounts.services import access_key_create
from audit import services as audit
from audit.models import AuditEvent
from tests import factories


class _Raw:
    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **kwargs):
        yield self._content


@dataclass
class ApiUser:
    account: Account
    access_key_id: str
    secret: str


def make_api_user(account: Account, *, policy: str | None = "AWSSupportAccess") -> ApiUser:
    user = factories.make_iam_user(account, policy=policy)
    key, secret = access_key_create(user=user, actor=SYSTEM)
    return ApiUser(account, key.access_key_id, secret)


def django_meta(request) -> dict[str, str]:
    """The WSGI environ entries for a botocore request's headers."""
    meta = {}
    for name, value in request.headers.items():
        if name.lower() in ("content-type", "content-length"):
            continue
        if isinstance(value, bytes):
            value = value.decode()
        meta["HTTP_" + name.upper().replace("-", "_")] = value
    # urllib3 adds Host on the wire; botocore signed it from the URL.
    meta.setdefault("HTTP_HOST", "testserver")
    return meta


def forward(request, django_client):
    """Send one botocore request through Django's test client; return Django's response."""
    content_type = request.headers.get("Content-Type", "")
    if isinstance(content_type, bytes):
        content_type = content_type.decode()
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    path = request.url.split("testserver", 1)[1] or "/"
    return django_client.generic(
        request.method, path, data=body, content_type=content_type, **django_meta(request)
    )


def to_aws_response(request, response) -> AWSResponse:
    return AWSResponse(
        request.url, response.status_code, dict(response.items()), _Raw(response.content)
    )


def wire(client, django_client, *, forwarded: list | None = None) -> None:
    """Send the botocore client's requests through Django's test client."""

    def send(request, **kwargs):
        response = forward(request, django_client)
        if forwarded is not None:
            forwarded.append((request, response))
        return to_aws_response(request, response)

    client.meta.events.register("before-send.support", send)


@pytest.fixture
def make_client(client) -> Callable[..., object]:
    def factory(
        api_user: ApiUser,
        *,
        region: str = "us-east-1",
        retries: int = 1,
        forwarded=None,
        secret=None,
    ):
        boto_client = boto3.client(
            "support",
            endpoint_url="http://testserver",
            region_name=region,
            aws_access_key_id=api_user.access_key_id,
            aws_secret_access_key=secret or api_user.secret,
            config=Config(
                retries={"mode": "standard", "max_attempts": retries},
                # The server must validate on its own: do not let botocore catch errors first.
                parameter_validation=False,
            ),
        )
        wire(boto_client, client, forwarded=forwarded)
        return boto_client

    return factory


@pytest.fixture
def api_user(reference_data) -> ApiUser:
    return make_api_user(factories.make_account("business"))


@pytest.fixture
def other_api_user(reference_data) -> ApiUser:
    return make_api_user(factories.make_account("business"))


@pytest.fixture
def support(make_client, api_user):
    return make_client(api_user)


@pytest.fixture
def other_support(make_client, other_api_user):
    return make_client(other_api_user)


def call_with_body(boto_client, method: str, raw_body: bytes, **params):
    """Call `method`, but sign and send `raw_body` instead of what botocore serialized (for
    bodies no SDK would build: unknown members, wrong types, bad JSON)."""

    def replace(request, **kwargs):
        request.data = raw_body

    boto_client.meta.events.register_first("before-sign.support", replace, unique_id="raw-body")
    try:
        return getattr(boto_client, method)(**params)
    finally:
        boto_client.meta.events.unregister("before-sign.support", unique_id="raw-body")


# --- CloudTrail's LookupEvents through boto3 -------------------------------------------------

CT_TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
READER_POLICY = "AWSCloudTrail_ReadOnlyAccess"


TARGET = "AWSSupport_20130415."
JSON = "application/x-amz-json-1.1"


def raw_post(client, operation: str, body: bytes = b"{}", **headers):
    """A request to the AWS Support endpoint as no SDK would send it (unsigned unless the
    headers sign it)."""
    return client.post(
        "/", data=body, content_type=JSON, HTTP_X_AMZ_TARGET=TARGET + operation, **headers
    )


def code_of(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture
def make_trail_client(client):
    def factory(api_user: ApiUser, *, forwarded: list | None = None):
        boto = boto3.client(
            "cloudtrail",
            endpoint_url="http://testserver",
            region_name="eu-west-1",
            aws_access_key_id=api_user.access_key_id,
            aws_secret_access_key=api_user.secret,
            config=Config(
                retries={"mode": "standard", "max_attempts": 1},
                # The server must validate on its own.
                parameter_validation=False,
            ),
        )

        def send(request, **kwargs):
            response = forward(request, client)
            if forwarded is not None:
                forwarded.append((request, response))
            return to_aws_response(request, response)

        boto.meta.events.register("before-send.cloudtrail", send)
        return boto

    return factory


@pytest.fixture
def reader(api_user) -> ApiUser:
    """A user of `api_user`'s account allowed CloudTrail's reads only."""
    return make_api_user(api_user.account, policy=READER_POLICY)


@pytest.fixture
def trail(make_trail_client, reader):
    return make_trail_client(reader)


def raw_lookup(trail, raw_body: bytes):
    """LookupEvents with `raw_body` signed and sent instead of what botocore serialized (for
    bodies no SDK would build)."""

    def replace(request, **kwargs):
        request.data = raw_body

    trail.meta.events.register_first("before-sign.cloudtrail", replace, unique_id="raw-body")
    try:
        return trail.lookup_events()
    finally:
        trail.meta.events.unregister("before-sign.cloudtrail", unique_id="raw-body")


def record_call(account, *, user=None, name="DescribeCases", **fields):
    """An audit record of an API call by `user` (the root user by default) of `account`."""
    actor = factories.principal(
        user or factories.root_of(account), via="api", access_key_id=fields.pop("key", "")
    )
    return audit.record(actor=actor, event_name=name, account=account, **fields)


def seed_calls(account, count: int) -> list[AuditEvent]:
    """`count` records of `account`, oldest first, two at each moment."""
    now = timezone.now()
    rows = []
    for index in range(count):
        # Pairs share a moment: the id breaks the tie, and no page may lose or repeat one.
        with time_machine.travel(now - timedelta(minutes=count - index // 2), tick=False):
            rows.append(record_call(account, name=f"Op{index}"))
    return rows
