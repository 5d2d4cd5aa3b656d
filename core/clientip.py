"""The client's address: what the sign-in throttle counts and the audit trail records.

Behind reverse proxies every request comes from the proxy's address, so throttling by
`REMOTE_ADDR` would lock a user out for everyone after five wrong passwords from anyone.
`settings.TRUSTED_PROXY_COUNT` (`SUPPORTCENTER_TRUSTED_PROXY_COUNT`) says how many proxies stand in
front of the application, each appending the address it received the request from to
`X-Forwarded-For` (nginx's `$proxy_add_x_forwarded_for`, HAProxy's `option forwardfor`, a cloud
load balancer). With N of them, the client is the N-th address from the right of that header:
the proxies wrote those; anything further left came from the client and may be forged. With 0
(the default: the application faces clients itself) the header is ignored and the address is
`REMOTE_ADDR`.

A request that carries fewer than N addresses did not come through every proxy (or the
header is malformed): it is counted under `REMOTE_ADDR`, which a client cannot choose.

django-axes is pointed here (`AXES_CLIENT_IP_CALLABLE`) rather than at django-ipware's proxy
count, because ipware counts the proxies' own addresses inside the header: with one nginx that
appends the client's address, its `proxy_count=1` picks the entry to the left, which the client
wrote.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"


def _address(value: str) -> str | None:
    """An address written by a proxy, normalised; None if it is not one. Some proxies add a
    port (`203.0.113.7:51234`, `[2001:db8::1]:443`)."""
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The client's address (see the module's docstring); "" when even `REMOTE_ADDR` is
    missing (a test request built by hand)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    chain = [part for part in request.META.get(FORWARDED_FOR, "").split(",") if part.strip()]
    if len(chain) < proxies:
        return remote
    return _address(chain[-proxies]) or remote
