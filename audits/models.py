"""Spot-check audits: versioned checklist templates, the audits done with them,
and schedules that say how many checks are wanted by when."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from actions.models import Action
from core.dates import utcnow
from core.models import Branch, PersonSupported, User, UTCDateTime
from extensions import db


class Answer(enum.StrEnum):
    YES = "yes"
    NO = "no"
    NA = "na"


class AnswerSet(enum.StrEnum):
    """How an item's three answers are worded on screen. Stored answers are always
    yes / no / na (docs/api.md, POST /api/v1/audits), so scoring never depends on the wording."""

    YES_NO = "yes_no"
    SAFE_AT_RISK = "safe_at_risk"

    @property
    def label(self) -> str:
        return {"yes_no": "Yes / No / N/A", "safe_at_risk": "Safe / At risk / N/A"}[self.value]

    def answer_label(self, answer: str) -> str:
        words = {
            "yes_no": {"yes": "Yes", "no": "No", "na": "N/A"},
            "safe_at_risk": {"yes": "Safe", "no": "At risk", "na": "N/A"},
        }
        return words[self.value].get(answer, answer)


class Outcome(enum.StrEnum):
    MET = "met"
    PARTLY_MET = "partly_met"
    NOT_MET = "not_met"
    NOT_SCORED = "not_scored"

    @property
    def label(self) -> str:
        return {
            "met": "Standards met",
            "partly_met": "Some standards not met",
            "not_met": "A critical standard not met",
            "not_scored": "Not scored",
        }[self.value]

    @property
    def tag(self) -> str:
        """NHS.UK tag colour for the outcome."""
        return {"met": "green", "partly_met": "yellow", "not_met": "red", "not_scored": "grey"}[
            self.value
        ]


class AuditTemplate(db.Model):  # type: ignore[name-defined,misc]
    """One version of a checklist. A published version never changes: editing
    makes a draft of the next version, so every audit keeps the questions it was
    answered against."""

    __tablename__ = "audit_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    # Scores at or above this (with no critical item failed) meet the standard.
    pass_mark: Mapped[int] = mapped_column(default=80)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # None while it is a draft being edited.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    items: Mapped[list[AuditTemplateItem]] = relationship(
        back_populates="template",
        order_by="AuditTemplateItem.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    __table_args__ = (UniqueConstraint("slug", "version", name="uq_audit_template_slug_version"),)

    @property
    def is_draft(self) -> bool:
        return self.published_at is None

    def item(self, key: str) -> AuditTemplateItem | None:
        return next((i for i in self.items if i.key == key), None)

    def sections(self) -> list[tuple[str, list[tuple[int, AuditTemplateItem]]]]:
        """Items grouped by consecutive section, each with its index in the form."""
        grouped: list[tuple[str, list[tuple[int, AuditTemplateItem]]]] = []
        for n, item in enumerate(self.items):
            if grouped and grouped[-1][0] == item.section:
                grouped[-1][1].append((n, item))
            else:
                grouped.append((item.section, [(n, item)]))
        return grouped

    def __repr__(self) -> str:
        return f"<AuditTemplate {self.slug} v{self.version}>"


class AuditTemplateItem(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "audit_template_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("audit_template.id", ondelete="CASCADE"), index=True
    )
    # Stable across versions, so failure rates follow an item through edits.
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(String(80), default="")
    text: Mapped[str] = mapped_column(String(300))
    guidance: Mapped[str] = mapped_column(Text, default="")
    answer_set: Mapped[str] = mapped_column(String(20), default=AnswerSet.YES_NO.value)
    weight: Mapped[int] = mapped_column(Integer, default=1)
    critical: Mapped[bool] = mapped_column(default=False)
    note_required_when_failed: Mapped[bool] = mapped_column(default=False)

    template: Mapped[AuditTemplate] = relationship(back_populates="items")

    __table_args__ = (UniqueConstraint("template_id", "key", name="uq_audit_template_item_key"),)

    @property
    def answers(self) -> AnswerSet:
        return AnswerSet(self.answer_set)


class Audit(db.Model):  # type: ignore[name-defined,misc]
    """A spot check as a supervisor completed it, usually in someone's home."""

    __tablename__ = "audit"

    # The UUID made on the device when the form opened: the key for exactly-once.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    template_id: Mapped[int] = mapped_column(ForeignKey("audit_template.id"), index=True)
    conducted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Minutes east of UTC on the device, so the local time is shown as it was.
    conducted_offset: Mapped[int] = mapped_column(default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    observed_user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person_supported.id"), index=True)
    reaudit_of_action_id: Mapped[int | None] = mapped_column(ForeignKey("action.id"), index=True)

    # Percentage of the weight answered yes out of all answered yes or no; None
    # when nothing applied (everything n/a).
    score: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(20), index=True)
    feedback: Mapped[str] = mapped_column(Text, default="")
    # The carer observed has read the feedback.
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    template: Mapped[AuditTemplate] = relationship(lazy="joined")
    branch: Mapped[Branch] = relationship(lazy="joined")
    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")
    observed: Mapped[User] = relationship(foreign_keys=[observed_user_id], lazy="joined")
    person: Mapped[PersonSupported | None] = relationship(lazy="joined")
    reaudit_of_action: Mapped[Action | None] = relationship(foreign_keys=[reaudit_of_action_id])
    # Every action raised from this audit (failed critical items automatically,
    # others when the supervisor chose to).
    raised_actions: Mapped[list[Action]] = relationship(
        primaryjoin="and_(Action.source_type == 'audit', foreign(Action.source_id) == Audit.id)",
        viewonly=True,
        order_by="Action.id",
        lazy="selectin",
    )
    answers: Mapped[list[AuditAnswer]] = relationship(
        back_populates="audit",
        order_by="AuditAnswer.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    # Migration 1005_indexes: spot checks by month (governance).
    __table_args__ = (
        db.Index(
            "ix_audit_branch_conducted",
            "branch_id",
            "conducted_at",
            postgresql_include=["template_id", "score"],
        ),
    )

    @classmethod
    def carer_scope(cls, user: User) -> ColumnElement[bool]:
        """A carer sees the checks of their own practice (and any they did)."""
        return or_(cls.observed_user_id == user.id, cls.author_id == user.id)

    @property
    def outcome_enum(self) -> Outcome:
        return Outcome(self.outcome)

    @property
    def conducted_local(self) -> datetime:
        return self.conducted_at.astimezone(timezone(timedelta(minutes=self.conducted_offset)))

    @property
    def critical_actions(self) -> list[Action]:
        """The actions its failed critical items raised (the receipt's `actions`, docs/api.md)."""
        critical = {i.key for i in self.template.items if i.critical}
        return [a for a in self.raised_actions if a.source_item in critical]

    def answer_for(self, key: str) -> AuditAnswer | None:
        return next((a for a in self.answers if a.item_key == key), None)


class AuditAnswer(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "audit_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[str] = mapped_column(ForeignKey("audit.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("audit_template_item.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(80), index=True)
    position: Mapped[int] = mapped_column(Integer)
    answer: Mapped[str] = mapped_column(String(4))
    note: Mapped[str] = mapped_column(Text, default="")

    audit: Mapped[Audit] = relationship(back_populates="answers")
    item: Mapped[AuditTemplateItem] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("audit_id", "item_id", name="uq_audit_answer_item"),)

    @property
    def failed(self) -> bool:
        return self.answer == Answer.NO.value


class AuditSchedule(db.Model):  # type: ignore[name-defined,misc]
    """ "N checks of template T for branch B (or carer C) by date D", e.g. "sample
    ten time-critical calls over two weeks" after a medication omission."""

    __tablename__ = "audit_schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The slug, not one version: a schedule outlives template edits.
    template_slug: Mapped[str] = mapped_column(String(60), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    observed_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    target: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    reason: Mapped[str] = mapped_column(String(300), default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    branch: Mapped[Branch] = relationship(lazy="joined")
    observed: Mapped[User | None] = relationship(foreign_keys=[observed_user_id], lazy="joined")
    author: Mapped[User] = relationship(foreign_keys=[author_id])

    def __repr__(self) -> str:
        return f"<AuditSchedule {self.template_slug} x{self.target} by {self.due_on}>"
