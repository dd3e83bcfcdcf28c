"""Saving what a device made exactly once, however many times it is sent.

A phone keeps an entry (an incident, a spot check) until the server has it, so
the same entry may arrive twice or more, even at the same moment. Its primary key
is the UUID the device gave it: the same id with the same content is the record
already saved; the same id with other content is a conflict (409), never a
second record or a silent overwrite. Concurrent duplicates end as one row: the
loser's insert fails and it reads the winner.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import IntegrityError

from core.errors import IdConflict
from core.models import User
from extensions import db

M = TypeVar("M")


def _canonical(data: dict[str, Any]) -> str:
    def default(value: Any) -> str:
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, uuid.UUID):
            return str(value)
        raise TypeError(type(value))

    return json.dumps(data, default=default, sort_keys=True, separators=(",", ":"))


def content_hash(author: User, data: dict[str, Any]) -> str:
    """What makes two sends "the same entry": the author and every field as sent."""
    return hashlib.sha256(f"{author.id}|{_canonical(data)}".encode()).hexdigest()


def already_sent(model: type[M], record_id: str, digest: str) -> M | None:
    """The record already saved under this device id (None if there is none);
    IdConflict when that id was saved with other content."""
    existing = db.session.get(model, record_id)
    if existing is not None and getattr(existing, "content_hash") != digest:  # noqa: B009
        raise IdConflict(existing)
    return existing


@dataclass
class FirstSend(Generic[M]):
    # The record a concurrent send of the same entry saved first, if it won.
    winner: M | None = None


@contextmanager
def first_send(model: type[M], record_id: str, digest: str) -> Iterator[FirstSend[M]]:
    """Make the new record in the block and commit it. If a concurrent send of the
    same entry inserted first (the insert fails at a flush in the block or at the
    commit), roll back and give its record as `winner` (IdConflict if its content
    differs)."""
    sent: FirstSend[M] = FirstSend()
    try:
        yield sent
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        winner = already_sent(model, record_id, digest)
        if winner is None:
            raise
        sent.winner = winner


def offset_minutes(moment: datetime) -> int:
    """The phone's UTC offset when it recorded `moment`, in minutes."""
    offset = moment.utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0
