"""Strict input at one place (issue 12, finding 6): whatever a client sends, the
request guard in core/web.py answers a clear 400 with a reason for what no person
types (a lone surrogate, JSON nested deeper than MAX_NESTING, control characters
in the address to return to after signing in) before any route reads it. Never a
500, and nothing is saved."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from core.web import MAX_NESTING
from extensions import db
from incidents.models import Incident
from tests.conftest import PASSWORD, Client
from tests.factories import incident_payload


def _count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Incident.id)))


def _post_raw(client: Client, url: str, text: str) -> Any:
    return client.http.post(
        url,
        data=text.encode(),
        content_type="application/json",
        headers={"X-CSRFToken": client.csrf or client.refresh_csrf()},
    )


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 300, 500, 900, 5000])
def test_json_nested_too_deeply_is_400_with_a_reason(app, sign_in, depth):
    carer = sign_in("carer1")
    body = json.dumps(incident_payload(what_happened="X")).replace('"X"', _nested(depth))
    response = _post_raw(carer, "/api/v1/incidents", body)
    assert response.status_code == 400
    assert response.get_json()["reason"] == "nesting"
    assert "nested" in response.get_json()["error"]
    assert _count(app) == 0


def test_objects_count_towards_the_nesting_too(sign_in):
    body = '{"a":' * (MAX_NESTING + 1) + "1" + "}" * (MAX_NESTING + 1)
    response = _post_raw(sign_in("carer1"), "/api/v1/incidents", body)
    assert response.status_code == 400
    assert response.get_json()["reason"] == "nesting"


def test_nesting_up_to_the_limit_reaches_the_schema(sign_in):
    body = json.dumps(incident_payload(what_happened="X")).replace('"X"', _nested(MAX_NESTING - 1))
    response = _post_raw(sign_in("carer1"), "/api/v1/incidents", body)
    assert response.status_code == 422
    assert "what_happened" in response.get_json()["errors"]


def test_brackets_inside_strings_are_not_nesting(app, sign_in):
    body = incident_payload(what_happened="[[[[" * 100 + "{{{{" * 100 + '"\\')
    response = sign_in("carer1").post_json("/api/v1/incidents", body)
    assert response.status_code == 201
    assert _count(app) == 1


@pytest.mark.parametrize(
    "text",
    ['"A \\ud800 B"', '"\\udfff"', '"\\ud83d"', '"end \\ud83d"', '"\\ude00\\ud83d"'],
)
def test_a_lone_surrogate_in_a_value_is_400_with_a_reason(app, sign_in, text):
    carer = sign_in("carer1")
    body = json.dumps(incident_payload(what_happened="X")).replace('"X"', text)
    response = _post_raw(carer, "/api/v1/incidents", body)
    assert response.status_code == 400
    assert response.get_json()["reason"] == "surrogate"
    assert _count(app) == 0


def test_a_lone_surrogate_in_a_key_is_400(sign_in):
    body = json.dumps(incident_payload()).replace('"location"', '"\\ud800"')
    response = _post_raw(sign_in("carer1"), "/api/v1/incidents", body)
    assert response.status_code == 400
    assert response.get_json()["reason"] == "surrogate"


def test_a_surrogate_pair_is_an_ordinary_character(app, sign_in):
    """An emoji escaped as a pair (as JSON.stringify may write one) is kept."""
    body = json.dumps(incident_payload(what_happened="X")).replace('"X"', '"Fell \\ud83e\\uddef"')
    response = _post_raw(sign_in("carer1"), "/api/v1/incidents", body)
    assert response.status_code == 201
    with app.app_context():
        assert db.session.scalar(db.select(Incident.what_happened)) == "Fell \U0001f9ef"


def test_a_lone_surrogate_in_the_bulletin_acknowledgement_is_400(sign_in):
    response = _post_raw(
        sign_in("carer1"), "/api/v1/bulletins/1/acknowledgements", '{"id": "\\ud800"}'
    )
    assert response.status_code == 400
    assert response.get_json()["reason"] == "surrogate"


def test_invalid_utf8_in_a_form_is_read_as_typed_not_a_crash(app, sign_in):
    """A browser cannot send a lone surrogate in a form: its UTF-8 bytes are
    invalid, and Werkzeug keeps the %-escapes as typed. Still never a 500."""
    carer = sign_in("carer1")
    response = carer.http.post(
        "/incidents/new",
        data=f"what_happened=%ED%A0%80&csrf_token={carer.refresh_csrf()}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 422
    assert _count(app) == 0


# --- the address to return to after signing in ----------------------------------------


INJECTED = ["/%0d%0aX-Injected:%201", "/%0aSet-Cookie:%20a=b", "/users%09", "/%7f"]


@pytest.mark.parametrize("target", INJECTED)
def test_control_characters_in_next_are_400_when_signed_in(sign_in, target):
    response = sign_in("manager").get(f"/login?next={target}")
    assert response.status_code == 400
    assert "X-Injected" not in response.headers
    assert "address to return to" in response.get_data(as_text=True)


@pytest.mark.parametrize("target", INJECTED)
def test_control_characters_in_next_are_400_at_sign_in(client: Client, seeded, target):
    client.refresh_csrf()
    response = client.http.post(
        f"/login?next={target}",
        data={"email": "carer1@example.com", "password": PASSWORD, "csrf_token": client.csrf},
    )
    assert response.status_code == 400
    assert "X-Injected" not in response.headers


@pytest.mark.parametrize("target", ["/\\evil.example/", "/%5Cevil.example/", "/\\/evil.example"])
def test_a_backslash_next_never_leaves_the_site(client: Client, seeded, target):
    """Browsers read "/\\evil.example" as "//evil.example": another site."""
    client.refresh_csrf()
    response = client.http.post(
        f"/login?next={target}",
        data={"email": "carer1@example.com", "password": PASSWORD, "csrf_token": client.csrf},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
