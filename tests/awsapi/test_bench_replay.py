"""The requests `python -m bench api` replays are calls the product accepts and carries out: signed
as boto3 signs them, each CreateCase creating its own case (a distinct invocation id, so the
idempotency record never answers a replay), DescribeCases answering, and the replay client's
response parser reading what gunicorn and moto_server send."""

from __future__ import annotations

import asyncio
import json

import pytest

from bench.api import CALLS
from bench.replay import _response, api_requests, page_requests
from cases.models import Case
from tests.awsapi.conftest import ApiUser

pytestmark = pytest.mark.django_db


def _send(client, raw: bytes):  # type: ignore[no-untyped-def]
    """One replayed request's bytes through Django's test client, as the wire carries them."""
    head, _, body = raw.partition(b"\r\n\r\n")
    request_line, *lines = head.decode("latin-1").split("\r\n")
    method, path, _ = request_line.split(" ")
    headers = dict(line.split(": ", 1) for line in lines)
    assert int(headers.pop("Content-Length", "0")) == len(body)
    content_type = headers.pop("Content-Type", "")
    meta = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}
    return client.generic(method, path, data=body, content_type=content_type, **meta)


def test_each_create_case_creates_a_case(client, api_user: ApiUser) -> None:
    requests = api_requests(
        "http://testserver",
        "CreateCase",
        CALLS["CreateCase"],
        3,
        key=api_user.access_key_id,
        secret=api_user.secret,
    )

    answers = [_send(client, raw) for raw in requests]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    created = {json.loads(answer.content)["caseId"] for answer in answers}
    assert len(created) == 3
    assert set(Case.objects.filter(account=api_user.account).values_list("case_id", flat=True)) == (
        created
    )


def test_describe_cases_answers_ten(client, api_user: ApiUser) -> None:
    for raw in api_requests(
        "http://testserver",
        "CreateCase",
        CALLS["CreateCase"],
        12,
        key=api_user.access_key_id,
        secret=api_user.secret,
    ):
        _send(client, raw)
    (raw,) = api_requests(
        "http://testserver",
        "DescribeCases",
        CALLS["DescribeCases"],
        1,
        key=api_user.access_key_id,
        secret=api_user.secret,
    )

    answer = _send(client, raw)

    assert answer.status_code == 200
    assert len(json.loads(answer.content)["cases"]) == 10


def test_the_ceiling_request_is_the_trivial_view(client) -> None:
    (raw,) = page_requests("http://testserver", "/livez", 1)

    answer = _send(client, raw)

    assert answer.status_code == 200
    assert answer.content == b"ok"


def _parse(wire: bytes) -> tuple[int, bytes, bool]:
    async def parse() -> tuple[int, bytes, bool]:
        reader = asyncio.StreamReader()
        reader.feed_data(wire)
        reader.feed_eof()
        return await _response(reader)

    return asyncio.run(parse())


def test_response_parser() -> None:
    keep = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n1\r\n!\r\n0\r\n\r\n"
    closing = b"HTTP/1.1 400 Bad\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbad"
    old = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"
    until_eof = b"HTTP/1.1 200 OK\r\n\r\nall of it"

    assert _parse(keep) == (200, b"ok", False)
    assert _parse(chunked) == (200, b"ok!", False)
    assert _parse(closing) == (400, b"bad", True)
    assert _parse(old) == (200, b"ok", True)
    assert _parse(until_eof) == (200, b"all of it", True)
