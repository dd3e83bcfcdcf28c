"""GET /api/v1/actions exactly as docs/api.md says."""

from __future__ import annotations

import pytest
from flask import Flask

from core.models import User
from extensions import db
from tests.learning.conftest import add_action, complete_review, make_incident


def _user(key: str) -> User:
    return db.session.scalar(db.select(User).where(User.email == f"{key}@example.com"))


def _arrange(app: Flask, n: int = 3) -> list[int]:
    with app.app_context():
        incident = make_incident(_user("carer1"))
        review = complete_review(_user("manager"), [incident])
        ids = [
            add_action(
                _user("manager"),
                "review",
                str(review.id),
                title=f"Action {k}",
                owner=_user("carer1"),
            ).id
            for k in range(n)
        ]
        ids.append(add_action(_user("manager"), "incident", incident.id, owner=_user("carer2")).id)
        db.session.remove()
        return ids


def test_items_have_the_contract_fields(app, sign_in):
    ids = _arrange(app, 1)
    body = sign_in("manager").get("/api/v1/actions").get_json()
    assert set(body) == {"items", "next"}
    first = body["items"][0]
    assert set(first) == {"id", "title", "status", "due", "owner_id", "source"}
    assert first["id"] == ids[-1]
    assert set(first["source"]) == {"type", "id"}
    assert first["source"]["type"] == "incident"
    assert body["items"][1]["source"]["type"] == "review"
    assert body["next"] is None


def test_pages_follow_the_cursor_newest_first(app, sign_in):
    ids = _arrange(app, 4)
    manager = sign_in("manager")
    got, cursor = [], None
    while True:
        url = "/api/v1/actions?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = manager.get(url).get_json()
        got += [item["id"] for item in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert got == sorted(ids, reverse=True)


def test_a_carer_gets_only_their_own(app, sign_in):
    _arrange(app, 2)
    carer2 = sign_in("carer2").get("/api/v1/actions").get_json()
    assert [i["title"] for i in carer2["items"]] == ["Introduce a handover checklist"]
    assert sign_in("carer3").get("/api/v1/actions").get_json()["items"] == []


def test_signed_out_is_401(client, seeded):
    assert client.get("/api/v1/actions").status_code == 401


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=x", "cursor=%%%", "cursor=bm9wZQ", "cursor=YTE5eA"]
)
def test_bad_parameters_are_422(sign_in, query):
    response = sign_in("manager").get(f"/api/v1/actions?{query}")
    assert response.status_code == 422
    assert "errors" in response.get_json()


def _action_on_safeguarding_record(app: Flask) -> str:
    with app.app_context():
        incident = make_incident(
            _user("carer1"), kind="incident", category="safeguarding", harm="low"
        )
        add_action(_user("manager"), "incident", incident.id, owner=_user("supervisor"))
        incident_id = incident.id
        db.session.remove()
    return incident_id


@pytest.mark.parametrize(
    ("who", "shown"), [("office", False), ("supervisor", False), ("manager", True)]
)
def test_an_incident_the_caller_may_not_see_is_not_named_by_its_id(app, sign_in, who, shown):
    # Issue 12, finding 10: the action list named a safeguarding incident's id.
    incident_id = _action_on_safeguarding_record(app)
    response = sign_in(who).get("/api/v1/actions")
    (item,) = response.get_json()["items"]
    assert item["source"] == {"type": "incident", "id": incident_id if shown else None}
    assert (incident_id in response.get_data(as_text=True)) is shown
