"""The on-call rota and the escalation of serious reports (escalation's tables;
the messages themselves are notifications.models)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.dates import utcnow
from core.models import Branch, User, UTCDateTime
from extensions import db


class OnCallShift(db.Model):  # type: ignore[name-defined,misc]
    """A manager on call for one branch from `starts_at` until `ends_at` (UTC;
    pages show and take UK time)."""

    __tablename__ = "on_call_shift"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    branch: Mapped[Branch] = relationship(lazy="joined")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")

    def covers(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at


class Escalation(db.Model):  # type: ignore[name-defined,misc]
    """A serious report being escalated: one row per incident, made in the
    transaction that saved it (so a re-sent report never starts a second one).
    `step` is the last step alerted (1 on call, 2 the next manager, 3 all of
    them); `next_step_at` is when the next one is due unless acknowledged (None:
    nobody is left to tell)."""

    __tablename__ = "escalation"

    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True
    )
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    step: Mapped[int] = mapped_column(default=1)
    last_alert_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Every manager alerted so far, in the order they were.
    alerted_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(String(40), default="")

    acknowledged_by: Mapped[User | None] = relationship(lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None
