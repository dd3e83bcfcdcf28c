"""The audit trail: one function every service calls when it creates, changes or
shows a sensitive record."""

from __future__ import annotations

from typing import Any

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


def events(record_type: str, record_id: object) -> list[TrailEvent]:
    return list(
        db.session.scalars(
            db.select(TrailEvent)
            .where(TrailEvent.record_type == record_type, TrailEvent.record_id == str(record_id))
            .order_by(TrailEvent.at, TrailEvent.id)
        )
    )
