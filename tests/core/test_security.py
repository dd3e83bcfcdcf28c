"""The security baseline: CSRF, cookies, headers, settings, tampering."""

from __future__ import annotations

import pytest
from flask import Flask

import settings
from core.models import User
from extensions import db
from tests.conftest import Client


def test_login_form_without_csrf_token_is_refused(client: Client, seeded):
    response = client.http.post(
        "/login", data={"email": "carer1@example.com", "password": "correct-horse-battery"}
    )
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert client.get("/api/v1/session").status_code == 401


def test_form_write_without_csrf_changes_nothing(app: Flask, sign_in, seeded):
    manager = sign_in("manager")
    response = manager.http.post(
        "/users",
        data={
            "name": "Nobody",
            "email": "nobody@example.com",
            "role": "carer",
            "branch_ids": "1",
        },
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.email == "nobody@example.com")) is None


def test_header_token_is_accepted_for_writes(sign_in):
    """API clients send the token in X-CSRFToken instead of a form field."""
    c = sign_in("carer1")
    token = c.get("/api/v1/session").get_json()["csrf_token"]
    response = c.http.post("/logout", headers={"X-CSRFToken": token})
    assert response.status_code == 302


def test_a_forged_header_token_is_refused(sign_in):
    c = sign_in("carer1")
    response = c.http.post("/logout", headers={"X-CSRFToken": "forged"})
    assert response.status_code == 400
    assert c.get("/api/v1/session").status_code == 200


def test_api_session_hands_out_the_token(sign_in, seeded):
    body = sign_in("supervisor").get("/api/v1/session").get_json()
    assert body["user"] == {
        "id": seeded["supervisor"].id,
        "email": "supervisor@example.com",
        "name": "Sam Supervisor",
        "role": "supervisor",
    }
    assert len(body["csrf_token"]) > 20


def test_api_session_signed_out_is_401_json(client: Client):
    response = client.get("/api/v1/session")
    assert response.status_code == 401
    assert response.is_json


@pytest.mark.parametrize("path", ["/login", "/healthz", "/api/v1/session", "/offline"])
def test_security_headers_on_every_answer(client: Client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "HX-Request" in response.headers["Vary"]


def test_pages_are_not_stored_by_caches(client: Client):
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_no_inline_script_or_handler_in_pages(sign_in):
    import re

    html = sign_in("manager").get("/users").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert not re.search(r'\sstyle="', html)


def test_session_cookie_flags(client: Client, seeded):
    response = client.sign_in("carer1@example.com")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_secure_cookie_flag_defaults_on_in_production(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    assert settings.load({"ENV_NAME": "production"})["SESSION_COOKIE_SECURE"] is True


def test_secret_key_is_required_outside_development_and_tests(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(settings.SettingsError):
        settings.load({"ENV_NAME": "production"})


def test_development_gets_a_random_secret(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = settings.load({"ENV_NAME": "development"})["SECRET_KEY"]
    second = settings.load({"ENV_NAME": "development"})["SECRET_KEY"]
    assert first != second
    assert len(first) >= 32


def test_tampered_session_cookie_signs_nobody_in(sign_in):
    carer = sign_in("carer1")
    jar = carer.http._cookies  # werkzeug's cookie store: (domain, path, name) -> Cookie
    key = next(k for k in jar if k[2] == "session")
    value = jar[key].value
    tampered = value[:-3] + ("aaa" if not value.endswith("aaa") else "bbb")
    carer.http.set_cookie("session", tampered, domain=key[0] or "localhost")
    assert carer.get("/api/v1/session").status_code == 401
    assert carer.get("/").status_code == 302


def test_health_check_reports_the_database(client: Client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/nope", "/api/v1/nope"])
def test_unknown_paths_are_404_in_the_right_format(client: Client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.is_json == path.startswith("/api/")


def test_oversized_body_is_413(client: Client):
    response = client.http.post("/login", data={"email": "x" * (300 * 1024)})
    assert response.status_code == 413


@pytest.mark.parametrize(
    "path",
    ["/api/v1/incidents", "/api/v1/audits", "/api/v1/bulletins/1/acknowledgements"],
)
@pytest.mark.parametrize("token", [None, "stale-token-from-an-ended-sign-in"])
def test_signed_out_api_write_is_401_not_csrf(client: Client, seeded, path, token):
    """A phone whose sign-in ended sends its old token (or none): it must learn to
    sign in again, not that the request was bad."""
    headers = {"X-CSRFToken": token} if token else {}
    response = client.http.post(path, json={}, headers=headers)
    assert response.status_code == 401
    assert response.get_json() == {"error": "Sign in to continue."}


def test_signed_in_api_write_without_token_is_still_400_csrf(sign_in):
    response = sign_in("carer1").http.post("/api/v1/incidents", json={})
    assert response.status_code == 400
    assert response.get_json()["reason"] == "csrf"
