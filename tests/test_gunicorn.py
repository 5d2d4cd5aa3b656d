"""The web server as deployed: gunicorn with supportcenter.gunicorn_config sends no `Server`
banner, and the application's Content-Security-Policy reaches the client. A real gunicorn on a
free loopback port, in a process of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, dict[str, list[str]], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            headers: dict[str, list[str]] = {}
            for name, value in response.headers.items():
                headers.setdefault(name.lower(), []).append(value)
            return response.status, headers, response.read()
    except urllib.error.HTTPError as error:
        headers = {}
        for name, value in error.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        return error.code, headers, error.read()


def test_gunicorn_sends_no_server_banner_and_the_policy(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "supportcenter.settings_test",
        "SUPPORTCENTER_TEST_DATA_DIR": str(tmp_path),
        "SUPPORTCENTER_ALLOWED_HOSTS": "127.0.0.1",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [
            str(gunicorn),
            "--config",
            "python:supportcenter.gunicorn_config",
            "supportcenter.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, headers, body = _get(f"http://127.0.0.1:{port}/livez")
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.2)
        assert status == 200
        assert "server" not in headers, headers
        assert "default-src 'none'" in headers["content-security-policy"][0]
        assert "script-src 'self'" in headers["content-security-policy"][0]
        # An error answer and a static file alike.
        missing = _get(f"http://127.0.0.1:{port}/no-such-page/")
        assert missing[0] == 404 and "server" not in missing[1]
        static = _get(f"http://127.0.0.1:{port}/static/js/app.js")
        assert "server" not in static[1]
    finally:
        server.terminate()
        server.wait(timeout=20)
