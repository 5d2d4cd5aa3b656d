"""gunicorn's configuration for Support Center's web server: `runstack`, the Dockerfile and
docker compose start it as `gunicorn --config python:supportcenter.gunicorn_config ...`.

gunicorn writes `Server: gunicorn` on every response and has no setting to leave it out; it
tells a scanner which server's weaknesses to try. The header is dropped here, in the one method
that writes gunicorn's own status line and headers (the application sends no Server header).
tests/test_gunicorn.py runs gunicorn with this module and checks every response's headers, so
a gunicorn release that moves this code fails there rather than bringing the banner back.
"""

from __future__ import annotations

from gunicorn.http import wsgi

_default_headers = wsgi.Response.default_headers


def _default_headers_without_server(self: wsgi.Response) -> list[str]:
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


wsgi.Response.default_headers = _default_headers_without_server  # type: ignore[method-assign]
