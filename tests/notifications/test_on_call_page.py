"""The on-call rota page (managers, within their branches) and the home page's
"on call now"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from core.dates import UK, utcnow
from core.models import Branch, TrailEvent
from extensions import db
from notifications.on_call_models import OnCallShift


def _north(app: Flask) -> int:
    with app.app_context():
        branch_id: int = db.session.scalars(
            db.select(Branch.id).where(Branch.code == "NORTH")
        ).one()
        db.session.remove()
    return branch_id


def _local(hours: int) -> str:
    return (utcnow() + timedelta(hours=hours)).astimezone(UK).strftime("%Y-%m-%dT%H:%M")


def _shifts(app: Flask) -> list[OnCallShift]:
    with app.app_context():
        shifts = list(db.session.scalars(db.select(OnCallShift)))
        db.session.expunge_all()
        db.session.remove()
    return shifts


def test_a_manager_puts_themself_on_call_and_the_home_page_says_so(
    app: Flask, sign_in: Any, seeded: dict[str, Any]
) -> None:
    manager = sign_in("manager")
    response = manager.post_form(
        "/on-call",
        {
            "branch": _north(app),
            "user": seeded["manager"].id,
            "starts": _local(-1),
            "ends": _local(8),
        },
    )
    assert response.status_code == 302
    assert len(_shifts(app)) == 1
    rota = manager.get("/on-call").get_data(as_text=True)
    assert "On call now" in rota

    home = sign_in("office").get("/").get_data(as_text=True)
    section = home[home.index('data-testid="on-call-now"') :]
    north = section[section.index('data-branch="NORTH"') :]
    assert "Morgan Manager" in north.split("</li>")[0]
    south = section[section.index('data-branch="SOUTH"') :]
    assert "nobody on the rota" in south.split("</li>")[0]


def test_with_nobody_on_call_the_home_page_says_every_manager_is_told(sign_in: Any) -> None:
    home = sign_in("office").get("/").get_data(as_text=True)
    assert "On call now" in home
    assert "nobody on the rota" in home


def test_a_shift_with_its_end_before_its_start_is_refused_with_the_form(
    app: Flask, sign_in: Any, seeded: dict[str, Any]
) -> None:
    response = sign_in("manager").post_form(
        "/on-call",
        {
            "branch": _north(app),
            "user": seeded["manager"].id,
            "starts": _local(5),
            "ends": _local(1),
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in page
    assert "The end must be after the start." in page
    assert _shifts(app) == []


@pytest.mark.parametrize(
    "form",
    [{}, {"branch": "x", "user": "y", "starts": "z", "ends": "w"}, {"branch": "99999999999"}],
)
def test_nonsense_is_a_clear_422(app: Flask, sign_in: Any, form: dict[str, str]) -> None:
    response = sign_in("manager").post_form("/on-call", form)
    assert response.status_code == 422
    assert _shifts(app) == []


def test_a_manager_removes_a_shift_with_a_trail_event(
    app: Flask, sign_in: Any, seeded: dict[str, Any]
) -> None:
    manager = sign_in("manager")
    manager.post_form(
        "/on-call",
        {
            "branch": _north(app),
            "user": seeded["manager"].id,
            "starts": _local(1),
            "ends": _local(9),
        },
    )
    (shift,) = _shifts(app)
    assert manager.post_form(f"/on-call/{shift.id}/remove").status_code == 302
    assert _shifts(app) == []
    with app.app_context():
        actions = set(db.session.scalars(db.select(TrailEvent.action)))
        db.session.remove()
    assert {"on_call_added", "on_call_removed"} <= actions


@pytest.mark.parametrize("who", ["carer1", "supervisor", "office"])
def test_only_managers_open_the_rota(sign_in: Any, who: str) -> None:
    assert sign_in(who).get("/on-call").status_code == 403
