"""The learning loop: learning reviews of incidents, the actions agreed after an
incident, review, audit or meeting (tracked until they are done and proved to
work), learning bulletins and who has read them, team debrief and supervision
notes, and anonymised case studies."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, cast

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
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.dates import utcnow
from core.models import Branch, Role, User, UTCDateTime
from core.scoping import record_scope
from extensions import db
from incidents.models import Incident


class ReviewMethod(enum.StrEnum):
    """Proportionate learning responses (PSIRF), lightest first."""

    HUDDLE = "huddle"
    AFTER_ACTION = "after_action"
    ROOT_CAUSE = "root_cause"
    THEMATIC = "thematic"

    @property
    def label(self) -> str:
        return {
            "huddle": "Huddle note",
            "after_action": "After action review",
            "root_cause": "Simple root cause review",
            "thematic": "Thematic review",
        }[self.value]

    @property
    def hint(self) -> str:
        return {
            "huddle": "A quick team conversation soon after the event: what happened, what we learned.",
            "after_action": "What we expected, what happened, why they differed, what to keep and what to change.",
            "root_cause": "What happened, why, what conditions made it more likely, what needs to change.",
            "thematic": "Several incidents looked at together to find the shared conditions.",
        }[self.value]


class ReviewStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return {"in_progress": "In progress", "completed": "Completed"}[self.value]


class Condition(enum.StrEnum):
    """Contributing conditions: the system, not the individual, is what is studied
    (DESIGN.md's fixed taxonomy)."""

    HANDOVER = "handover"
    COMMUNICATION = "communication"
    DOCUMENTATION = "documentation"
    SUPERVISION = "supervision"
    STAFFING = "staffing"
    TRAINING = "training"
    EQUIPMENT = "equipment"
    ENVIRONMENT = "environment"
    CARE_PLAN = "care_plan"
    MEDICATION_SYSTEM = "medication_system"
    PERSONS_HEALTH = "persons_health"
    ORGANISATIONAL = "organisational"

    @property
    def label(self) -> str:
        return {
            "handover": "Handover",
            "communication": "Communication",
            "documentation": "Documentation",
            "supervision": "Supervision",
            "staffing": "Staffing and time pressure",
            "training": "Training and competence",
            "equipment": "Equipment",
            "environment": "Environment",
            "care_plan": "Care plan or risk assessment",
            "medication_system": "Medication system",
            "persons_health": "The person's health",
            "organisational": "Organisational",
        }[self.value]


review_incidents = Table(
    "review_incident",
    db.metadata,
    Column("review_id", ForeignKey("learning_review.id", ondelete="CASCADE"), primary_key=True),
    Column("incident_id", ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True),
)


class LearningReview(db.Model):  # type: ignore[name-defined,misc]
    """A learning review of one incident, or (thematic) of several. Each method
    uses some of the answer fields; `lessons` and `changes` are what every
    method ends with, and what the reporter is told."""

    __tablename__ = "learning_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(
        String(20), default=ReviewStatus.IN_PROGRESS.value, index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    # The branch of the first incident; visibility also needs every incident.
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    what_happened: Mapped[str] = mapped_column(Text, default="")
    expected: Mapped[str] = mapped_column(Text, default="")
    why_difference: Mapped[str] = mapped_column(Text, default="")
    keep_doing: Mapped[str] = mapped_column(Text, default="")
    why: Mapped[str] = mapped_column(Text, default="")
    findings: Mapped[str] = mapped_column(Text, default="")
    conditions: Mapped[list[str]] = mapped_column(JSON, default=list)
    conditions_detail: Mapped[str] = mapped_column(Text, default="")
    lessons: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)

    branch: Mapped[Branch] = relationship(lazy="joined")
    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    incidents: Mapped[list[Incident]] = relationship(
        secondary=review_incidents, lazy="selectin", order_by=Incident.occurred_at
    )

    # Migration 1005_indexes: completed reviews by month (governance themes).
    __table_args__ = (
        db.Index("ix_learning_review_branch_completed", "branch_id", "status", "completed_at"),
    )
    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    @classmethod
    def carer_scope(cls, user: User) -> ColumnElement[bool]:  # noqa: ARG003
        """Carers hear the learning through feedback and bulletins, not reviews."""
        return false()

    @classmethod
    def extra_scope(cls, user: User) -> ColumnElement[bool]:
        """Only those who may see every incident in it see a review (a thematic
        review can span branches; safeguarding records stay with managers)."""
        hidden = (
            db.select(review_incidents.c.review_id)
            .join(Incident, Incident.id == review_incidents.c.incident_id)
            .where(review_incidents.c.review_id == cls.id)
            .where(~record_scope(user, Incident))
        )
        return cast(ColumnElement[bool], ~hidden.exists())

    @property
    def method_enum(self) -> ReviewMethod:
        return ReviewMethod(self.method)

    @property
    def status_enum(self) -> ReviewStatus:
        return ReviewStatus(self.status)

    @property
    def is_completed(self) -> bool:
        return self.status == ReviewStatus.COMPLETED.value

    @property
    def condition_labels(self) -> list[str]:
        known = {c.value for c in Condition}
        return [Condition(c).label for c in self.conditions if c in known]


bulletin_branches = Table(
    "bulletin_branch",
    db.metadata,
    Column("bulletin_id", ForeignKey("bulletin.id", ondelete="CASCADE"), primary_key=True),
    Column("branch_id", ForeignKey("branch.id", ondelete="CASCADE"), primary_key=True),
)


bulletin_reviews = Table(
    "bulletin_review",
    db.metadata,
    Column("bulletin_id", ForeignKey("bulletin.id", ondelete="CASCADE"), primary_key=True),
    Column("review_id", ForeignKey("learning_review.id", ondelete="CASCADE"), primary_key=True),
)


class BulletinRole(db.Model):  # type: ignore[name-defined,misc]
    """A role a bulletin is written for (none at all: every role)."""

    __tablename__ = "bulletin_role"

    bulletin_id: Mapped[int] = mapped_column(
        ForeignKey("bulletin.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class Bulletin(db.Model):  # type: ignore[name-defined,misc]
    """A short anonymised learning bulletin, written from one or more reviews and
    sent to staff of some branches (and, optionally, some roles)."""

    __tablename__ = "bulletin"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    what_happened: Mapped[str] = mapped_column(Text)
    what_learned: Mapped[str] = mapped_column(Text)
    what_changes: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    version: Mapped[int] = mapped_column(default=1)

    author: Mapped[User] = relationship(lazy="joined")
    branches: Mapped[list[Branch]] = relationship(
        secondary=bulletin_branches, lazy="selectin", order_by=Branch.code
    )
    role_rows: Mapped[list[BulletinRole]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by=BulletinRole.role
    )
    reviews: Mapped[list[LearningReview]] = relationship(
        secondary=bulletin_reviews, lazy="selectin", order_by=LearningReview.id
    )

    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    @property
    def roles(self) -> list[str]:
        return [r.role for r in self.role_rows]

    @property
    def role_labels(self) -> list[str]:
        return [Role(r).label for r in self.roles]

    @classmethod
    def audience(cls, user: User) -> ColumnElement[bool]:
        """Bulletins written for `user`: one of their branches, and their role
        (or every role)."""
        ids = user.branch_ids
        if not ids:
            return false()
        return cls.branches.any(Branch.id.in_(ids)) & or_(
            ~cls.role_rows.any(), cls.role_rows.any(BulletinRole.role == user.role)
        )

    @classmethod
    def carer_scope(cls, user: User) -> ColumnElement[bool]:
        return cls.audience(user)

    @classmethod
    def staff_scope(cls, user: User) -> ColumnElement[bool]:
        """Supervisors, managers and office staff see bulletins sent to any of
        their branches."""
        ids = user.branch_ids
        return cls.branches.any(Branch.id.in_(ids)) if ids else false()


class Acknowledgement(db.Model):  # type: ignore[name-defined,misc]
    """A member of staff said they have read and understood a bulletin."""

    __tablename__ = "bulletin_acknowledgement"

    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(
        ForeignKey("bulletin.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("bulletin_id", "user_id", name="uq_acknowledgement_once"),)


class BriefingNoteKind(enum.StrEnum):
    TEAM_DEBRIEF = "team_debrief"
    SUPERVISION = "supervision"

    @property
    def label(self) -> str:
        return {"team_debrief": "Team debrief", "supervision": "Supervision"}[self.value]


briefing_attendees = Table(
    "briefing_attendee",
    db.metadata,
    Column("note_id", ForeignKey("briefing_note.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class BriefingNote(db.Model):  # type: ignore[name-defined,misc]
    """A team debrief or a supervision session, which may discuss a bulletin."""

    __tablename__ = "briefing_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    held_on: Mapped[date] = mapped_column(Date)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    bulletin_id: Mapped[int | None] = mapped_column(ForeignKey("bulletin.id"), index=True)
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    branch: Mapped[Branch] = relationship(lazy="joined")
    author: Mapped[User] = relationship(lazy="joined")
    bulletin: Mapped[Bulletin | None] = relationship()
    attendees: Mapped[list[User]] = relationship(
        secondary=briefing_attendees, lazy="selectin", order_by=User.name
    )

    @classmethod
    def carer_scope(cls, user: User) -> ColumnElement[bool]:
        """A carer sees the notes of sessions they took part in."""
        return cls.attendees.any(User.id == user.id)

    @property
    def kind_enum(self) -> BriefingNoteKind:
        return BriefingNoteKind(self.kind)


class CaseStudy(db.Model):  # type: ignore[name-defined,misc]
    """An anonymised account of learning in action, for tenders: drafted from an
    incident, its review, actions and evidence, then edited by a manager."""

    __tablename__ = "case_study"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incident.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(Text, default="")
    review_process: Mapped[str] = mapped_column(Text, default="")
    action_taken: Mapped[str] = mapped_column(Text, default="")
    what_changed: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    # A fingerprint of the text a manager last checked for identifying details
    # (learning.anonymise.fingerprint): exporting asks again once it changes.
    checked_hash: Mapped[str | None] = mapped_column(String(64), default=None)

    incident: Mapped[Incident] = relationship(lazy="joined")
    author: Mapped[User] = relationship()

    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    @classmethod
    def carer_scope(cls, user: User) -> ColumnElement[bool]:  # noqa: ARG003
        return false()
