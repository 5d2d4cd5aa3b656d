"""The client's address behind N trusted proxies (core.clientip): the N-th address from the right
of X-Forwarded-For, REMOTE_ADDR otherwise. Sign-in lockouts and audit records through it are
tested in tests/accounts/test_behind_proxy.py."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from core.clientip import client_ip

PROXY = "10.0.0.2"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, None, PROXY),
        (0, "203.0.113.7", PROXY),  # no proxy: the header is the client's own, ignored
        (1, None, PROXY),  # did not come through the proxy
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the forged entry on the left
        (1, "198.51.100.1,203.0.113.7", "203.0.113.7"),
        (2, "203.0.113.7, 192.0.2.10", "203.0.113.7"),  # a CDN, then the load balancer
        (2, "198.51.100.1, 203.0.113.7, 192.0.2.10", "203.0.113.7"),
        (2, "203.0.113.7", PROXY),  # fewer addresses than proxies
        (1, "203.0.113.7:51234", "203.0.113.7"),
        (1, "[2001:db8::1]:443", "2001:db8::1"),
        (1, "2001:DB8::1", "2001:db8::1"),
        (1, "unknown", PROXY),  # not an address
        (1, "203.0.113.7, ", "203.0.113.7"),
    ],
)
def test_client_ip(settings, proxies: int, forwarded: str | None, expected: str) -> None:
    settings.TRUSTED_PROXY_COUNT = proxies
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, **headers)
    assert client_ip(request) == expected
