"""Branches, staff, the people supported, sign-in failures and the audit trail."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, Column, DateTime, ForeignKey, String, Table, event
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no time zones; PostgreSQL's timestamptz does. This keeps Python's
    view identical on both.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Role(enum.StrEnum):
    CARER = "carer"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    OFFICE = "office"

    @property
    def label(self) -> str:
        return {
            "carer": "Carer",
            "supervisor": "Supervisor",
            "manager": "Registered manager",
            "office": "Office staff",
        }[self.value]


user_branches = Table(
    "user_branch",
    db.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("branch_id", ForeignKey("branch.id", ondelete="CASCADE"), primary_key=True),
)


class Branch(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "branch"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))

    def __repr__(self) -> str:
        return f"<Branch {self.code}>"


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Changes whenever the account is deactivated or its password set, so signed
    # cookies issued before that no longer sign anyone in.
    session_epoch: Mapped[int] = mapped_column(default=0)

    branches: Mapped[list[Branch]] = relationship(
        secondary=user_branches, lazy="selectin", order_by="Branch.code"
    )

    @property
    def is_active(self) -> bool:  # flask-login asks this
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def branch_ids(self) -> set[int]:
        return {b.id for b in self.branches}

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class PersonSupported(db.Model):  # type: ignore[name-defined,misc]
    """Someone the service supports: a reference code and initials, nothing more."""

    __tablename__ = "person_supported"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    initials: Mapped[str] = mapped_column(String(6))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)

    branch: Mapped[Branch] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<PersonSupported {self.ref}>"


class LoginFailure(db.Model):  # type: ignore[name-defined,misc]
    """One failed sign-in. Kept in the database so every app process sees it."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class AuditEvent(db.Model):  # type: ignore[name-defined,misc]
    """Append-only: who did what to which record, and when.

    The ORM refuses updates and deletes (below) and the migration adds database
    triggers, so the trail cannot be rewritten through the app or by hand in SQL.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (db.Index("ix_audit_event_record", "record_type", "record_id"),)


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_rewrite(mapper: Any, connection: Any, target: AuditEvent) -> None:
    raise AppendOnlyError("the audit trail is append-only")
