"""The audit trail is append-only, in the ORM and in the database itself."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core import trail
from core.models import AppendOnlyError, TrailEvent
from extensions import db


def test_events_record_who_what_which_and_when(app_ctx, staff):
    manager = staff["manager"]
    trail.record(manager, "view", "incident", "abc", reason="triage")
    db.session.commit()
    [event] = trail.events("incident", "abc")
    assert event.actor_id == manager.id
    assert event.action == "view"
    assert event.detail == {"reason": "triage"}
    assert event.at.tzinfo is not None


def test_orm_refuses_to_change_an_event(app_ctx, staff):
    event = trail.record(staff["manager"], "view", "incident", "abc")
    db.session.commit()
    event.action = "edited"
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()


def test_orm_refuses_to_delete_an_event(app_ctx, staff):
    event = trail.record(staff["manager"], "view", "incident", "abc")
    db.session.commit()
    db.session.delete(event)
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"],
)
def test_database_refuses_raw_sql_rewrites(app_ctx, staff, statement):
    trail.record(staff["manager"], "view", "incident", "abc")
    db.session.commit()
    with pytest.raises(DBAPIError):
        db.session.execute(text(statement))
    db.session.rollback()
    assert db.session.scalar(db.select(TrailEvent.action)) == "view"
