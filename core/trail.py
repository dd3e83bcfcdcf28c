"""The audit trail: one function every service calls when it creates, changes or
shows a sensitive record."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.dates import utcnow
from core.models import TrailEvent, User
from extensions import db


def record(
    actor: User | None,
    action: str,
    record_type: str,
    record_id: object,
    **detail: Any,
) -> TrailEvent:
    """Add an event to the current transaction; it commits with the change itself,
    so a change is never saved without its trail (or the trail without it)."""
    event = TrailEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        record_type=record_type,
        record_id=str(record_id),
        detail=detail,
    )
    db.session.add(event)
    return event


def record_views(
    actor: User | None, record_type: str, record_ids: Iterable[object], **detail: Any
) -> None:
    """A "view" event for each record shown (in a list, one per record, so each
    record's own trail says who saw it), committed now: a view is on the trail
    even when the request changes nothing. The records the caller has loaded are
    kept as they are (not expired by the commit), so a page of them is not loaded
    again row by row while it is rendered."""
    ids = list(record_ids)
    if not ids:
        return
    for record_id in ids:
        record(actor, "view", record_type, record_id, **detail)
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def events(record_type: str, record_id: object) -> list[TrailEvent]:
    return list(
        db.session.scalars(
            db.select(TrailEvent)
            .where(TrailEvent.record_type == record_type, TrailEvent.record_id == str(record_id))
            .order_by(TrailEvent.at, TrailEvent.id)
        )
    )


def record_many(
    actor: User | None,
    action: str,
    record_type: str,
    entries: Iterable[tuple[object, dict[str, Any]]],
) -> None:
    """As `record`, for many records at once (an import of thousands of rows):
    one event per (record id, detail), written in one statement in the current
    transaction."""
    at = utcnow()
    actor_id = actor.id if actor is not None else None
    rows = [
        {
            "at": at,
            "actor_id": actor_id,
            "action": action,
            "record_type": record_type,
            "record_id": str(record_id),
            "detail": detail,
        }
        for record_id, detail in entries
    ]
    if rows:
        db.session.execute(db.insert(TrailEvent), rows)
