"""Governance meetings: a quality and governance meeting of one or more branches,
what it discussed and decided, and a frozen copy of the dashboard's figures for its
period as they stood when the meeting was recorded."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Date,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.dates import utcnow
from core.models import Branch, User, UTCDateTime
from core.scoping import all_branches_among
from extensions import db

meeting_branches = Table(
    "governance_meeting_branch",
    db.metadata,
    Column("meeting_id", ForeignKey("governance_meeting.id", ondelete="CASCADE"), primary_key=True),
    Column("branch_id", ForeignKey("branch.id", ondelete="CASCADE"), primary_key=True),
)


class GovernanceMeeting(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "governance_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    attendees: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[str] = mapped_column(Text, default="")
    decisions: Mapped[str] = mapped_column(Text, default="")
    # The dashboard's figures for the period, as the meeting saw them: never
    # recomputed, so later reports do not change the record of the meeting.
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")
    branches: Mapped[list[Branch]] = relationship(
        secondary=meeting_branches, lazy="selectin", order_by=Branch.code
    )

    @classmethod
    def carer_scope(cls, user: User) -> ColumnElement[bool]:  # noqa: ARG003
        return false()

    @classmethod
    def staff_scope(cls, user: User) -> ColumnElement[bool]:
        """A meeting's figures cover every one of its branches, so only someone
        who works across all of them may see it."""
        return all_branches_among(user, cls.branches)

    @property
    def title(self) -> str:
        held = f"{self.held_on.day} {self.held_on:%b %Y}"
        return f"Governance meeting {held} ({self.branch_codes})"

    @property
    def branch_codes(self) -> str:
        return ", ".join(b.code for b in self.branches)


class SpcRecalculation(db.Model):  # type: ignore[name-defined,misc]
    """A known change after which a chart's limits are worked out again (Making
    Data Count's "recalculation"): the month it took effect, for one chart of one
    set of branches (`branch_key`: their codes, sorted, joined by commas)."""

    __tablename__ = "spc_recalculation"
    __table_args__ = (UniqueConstraint("branch_key", "chart", "from_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_key: Mapped[str] = mapped_column(String(400), index=True)
    chart: Mapped[str] = mapped_column(String(40), default="incidents")
    from_month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    reason: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Denominator(db.Model):  # type: ignore[name-defined,misc]
    """What a branch delivered in one UK calendar month, entered by a manager: the
    visits made (the denominator for rates per 1,000 visits), the people supported
    and, if the branch counts them, the hours of care."""

    __tablename__ = "denominator"
    __table_args__ = (UniqueConstraint("branch_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM (UK calendar month)
    visits: Mapped[int]
    people_supported: Mapped[int]
    care_hours: Mapped[int | None]
    version: Mapped[int] = mapped_column(default=1)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    branch: Mapped[Branch] = relationship(lazy="joined")

    __mapper_args__: dict[str, Any] = {"version_id_col": version}
