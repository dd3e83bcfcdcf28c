"""Actions: who will do what by when, raised from an incident, a learning review,
a spot check or a governance meeting, and how it will be shown to work."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Date, ForeignKey, String, Text, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.dates import utcnow
from core.models import Branch, PersonSupported, User, UTCDateTime
from extensions import db


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    VERIFIED_EFFECTIVE = "verified_effective"
    NOT_EFFECTIVE = "not_effective"

    @property
    def label(self) -> str:
        return {
            "open": "Open",
            "done": "Done",
            "verified_effective": "Verified effective",
            "not_effective": "Not effective",
        }[self.value]


class ActionSource(enum.StrEnum):
    """Where an action came from (docs/api.md, GET /api/v1/actions: `source.type`)."""

    INCIDENT = "incident"
    REVIEW = "review"
    AUDIT = "audit"
    MEETING = "meeting"


class Action(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "action"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=ActionStatus.OPEN.value, index=True)
    due: Mapped[date] = mapped_column(Date, index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    # Who raised it (a person, or the person whose work raised it automatically).
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    # The record it came from: incident (UUID), review, audit (UUID) or meeting.
    source_type: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[str] = mapped_column(String(64))
    # For audit-raised actions: the item that failed.
    source_item: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evidence: Mapped[str] = mapped_column(Text, default="")
    # Verification: a re-audit or a spot-check sample must show it worked before
    # it can be marked verified effective (when this is set).
    requires_verification: Mapped[bool] = mapped_column(default=False)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    verification_note: Mapped[str] = mapped_column(Text, default="")
    # How it is proved to work (when requires_verification): a sample of re-audits
    # or spot checks linked to the action, or a trend of incidents before and
    # after it was done. An action needing verification with no kind is a sample
    # of one (a re-audit).
    verification_kind: Mapped[str | None] = mapped_column(String(20))
    sample_size: Mapped[int] = mapped_column(default=1)
    sample_template: Mapped[str | None] = mapped_column(String(80))
    trend_category: Mapped[str | None] = mapped_column(String(20))
    trend_days: Mapped[int | None] = mapped_column()
    trend_person_id: Mapped[int | None] = mapped_column(ForeignKey("person_supported.id"))
    # An open action taken over by a later (often thematic) review: it no longer
    # holds up closing the incident it came from.
    carried_to_review_id: Mapped[int | None] = mapped_column(
        ForeignKey("learning_review.id"), index=True
    )
    version: Mapped[int] = mapped_column(default=1)

    branch: Mapped[Branch] = relationship(lazy="joined")
    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined")
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    trend_person: Mapped[PersonSupported | None] = relationship()

    __table_args__ = (
        db.Index("ix_action_source", "source_type", "source_id"),
        # Migration 1005_indexes: lists and home pages by branch, status and due date.
        db.Index("ix_action_branch_status_due", "branch_id", "status", "due", "id"),
    )
    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    @classmethod
    def carer_scope(cls, user: User) -> ColumnElement[bool]:
        """A carer sees actions they own or raised."""
        return or_(cls.owner_id == user.id, cls.author_id == user.id)

    @property
    def status_enum(self) -> ActionStatus:
        return ActionStatus(self.status)


class VerificationKind(enum.StrEnum):
    SAMPLE = "sample"
    TREND = "trend"

    @property
    def label(self) -> str:
        return {
            "sample": "Re-audit or spot-check sample",
            "trend": "Trend of incidents before and after",
        }[self.value]
