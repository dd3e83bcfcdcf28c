"""Hardening: HSTS over HTTPS, the __Host- session cookie in production, no
Server header from gunicorn."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http.client import HTTPConnection
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from extensions import db
from tests.conftest import PASSWORD, Client, _test_config

ROOT = Path(__file__).resolve().parents[2]
HTTPS = "https://localhost"


def test_hsts_over_https(client: Client):
    response = client.http.get("/login", base_url=HTTPS)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_no_hsts_over_plain_http(client: Client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_hsts_when_the_trusted_proxy_says_https(database_url: str, clean_db):
    proxied = create_app({**_test_config(database_url), "PROXY_HOPS": 1})
    response = proxied.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in response.headers


@pytest.fixture
def production(database_url: str, seeded, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app with production's cookie settings (same test database)."""
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    config = {**_test_config(database_url), "ENV_NAME": "production"}
    del config["SESSION_COOKIE_SECURE"]
    app = create_app(config)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_production_session_cookie_has_the_host_prefix(production: Flask):
    c = production.test_client()
    page = c.get("/login", base_url=HTTPS).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = c.post(
        "/login",
        base_url=HTTPS,
        data={"email": "carer1@example.com", "password": PASSWORD, "csrf_token": token.group(1)},
        headers={"Referer": f"{HTTPS}/login"},
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    assert "; Secure" in cookie
    assert "; Path=/" in cookie
    assert "Domain=" not in cookie
    assert c.get("/", base_url=HTTPS).status_code == 200


def test_development_over_http_keeps_a_plain_cookie_name(client: Client, seeded):
    cookie = client.sign_in("carer1@example.com").headers["Set-Cookie"]
    assert cookie.startswith("session=")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_gunicorn_as_configured_sends_no_server_header(tmp_path: Path):
    port = _free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "CANDOUR_ENV": "testing",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
    }
    server = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "app:create_app()",
        ],
        cwd=ROOT,  # where gunicorn.conf.py is read from
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/no-such-page")
                response = conn.getresponse()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        assert response.status == 404
        assert response.getheader("Server") is None
    finally:
        server.terminate()
        server.wait(timeout=10)
