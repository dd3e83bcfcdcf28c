"""Signing in over plain HTTP where the session cookie is HTTPS-only (production):
the page says what is wrong and how to fix it, and so does the log at start-up."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from flask import Flask

from app import create_app
from core import https_check
from tests.conftest import PASSWORD, _test_config

EXPIRED = "This form has expired"


@pytest.fixture
def secure_app(database_url: str, seeded: Any) -> Flask:
    """The app as in production: HTTPS-only __Host- session cookie."""
    return create_app({**_test_config(database_url), "SESSION_COOKIE_SECURE": True})


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def _sign_in_as_a_browser_over_http(app: Flask, **headers: str) -> Any:
    """A browser over plain HTTP drops the Secure cookie: it never comes back."""
    browser = app.test_client(use_cookies=False)
    token = _token(browser.get("/login", headers=headers).get_data(as_text=True))
    return browser.post(
        "/login",
        data={"email": "carer1@example.com", "password": PASSWORD, "csrf_token": token},
        headers=headers,
    )


def test_the_sign_in_page_over_plain_http_says_https_is_needed(secure_app: Flask):
    html = secure_app.test_client().get("/login").get_data(as_text=True)
    assert https_check.HEADING in html
    assert "PROXY_HOPS" in html


def test_the_sign_in_page_over_https_says_nothing_of_it(secure_app: Flask):
    response = secure_app.test_client().get("/login", base_url="https://localhost")
    assert https_check.HEADING not in response.get_data(as_text=True)


def test_signing_in_over_plain_http_says_what_is_wrong_not_expired(secure_app: Flask, caplog):
    with caplog.at_level(logging.WARNING):
        response = _sign_in_as_a_browser_over_http(secure_app)
    html = " ".join(response.get_data(as_text=True).split())
    assert response.status_code == 400
    assert https_check.HEADING in html
    assert "serve it over HTTPS" in html
    assert "set PROXY_HOPS" in html
    assert EXPIRED not in html
    assert "plain HTTP and refused" in caplog.text


def test_a_form_that_expired_over_https_still_says_expired(secure_app: Flask):
    browser = secure_app.test_client(use_cookies=False)
    response = browser.post(
        "/login",
        data={"email": "carer1@example.com", "password": PASSWORD, "csrf_token": "old"},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},
    )
    assert response.status_code == 400
    assert EXPIRED in response.get_data(as_text=True)


def test_behind_a_proxy_with_proxy_hops_signing_in_works(database_url: str, seeded: Any):
    app = create_app({**_test_config(database_url), "SESSION_COOKIE_SECURE": True, "PROXY_HOPS": 1})
    client = app.test_client()
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    page = client.get("/login", headers=proxy, base_url="https://localhost")
    assert https_check.HEADING not in page.get_data(as_text=True)
    assert "__Host-session=" in page.headers["Set-Cookie"]
    response = client.post(
        "/login",
        data={
            "email": "carer1@example.com",
            "password": PASSWORD,
            "csrf_token": _token(page.get_data(as_text=True)),
        },
        headers={**proxy, "Referer": "https://localhost/login"},
        base_url="https://localhost",
    )
    assert response.status_code == 302


# --- the warning at start-up -----------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"SESSION_COOKIE_SECURE": False, "PROXY_HOPS": 0}, []),
        ({"SESSION_COOKIE_SECURE": True, "PROXY_HOPS": 1}, []),
        (
            {"SESSION_COOKIE_SECURE": True, "PROXY_HOPS": 1, "PUBLIC_URL": "https://c.example"},
            [],
        ),
        ({"SESSION_COOKIE_SECURE": True, "PROXY_HOPS": 0}, ["PROXY_HOPS is 0"]),
        (
            {"SESSION_COOKIE_SECURE": True, "PROXY_HOPS": 1, "PUBLIC_URL": "http://c.example"},
            ["PUBLIC_URL is http://c.example, plain HTTP"],
        ),
    ],
)
def test_startup_warnings(config, expected):
    warnings = https_check.startup_warnings(config)
    assert len(warnings) == len(expected)
    for warning, start in zip(warnings, expected, strict=True):
        assert warning.startswith(start)


def test_the_app_logs_the_warning_when_it_starts(database_url: str, caplog):
    with caplog.at_level(logging.WARNING):
        create_app({**_test_config(database_url), "SESSION_COOKIE_SECURE": True})
    assert "PROXY_HOPS is 0 and the session cookie is sent over HTTPS only" in caplog.text


def test_nothing_is_logged_when_the_settings_fit(database_url: str, caplog):
    with caplog.at_level(logging.WARNING):
        create_app({**_test_config(database_url), "SESSION_COOKIE_SECURE": True, "PROXY_HOPS": 1})
    assert "PROXY_HOPS" not in caplog.text
