"""Branches, staff, the people supported, sign-in failures and the audit trail."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, Column, DateTime, ForeignKey, String, Table, event
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from core.dates import as_utc, utcnow
from extensions import db


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
        return None if value is None else as_utc(value)


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
    # Set when a manager archives the branch (core.branches): it is no longer
    # offered anywhere, and everything recorded in it stays.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    def __repr__(self) -> str:
        return f"<Branch {self.code}>"


class Team(db.Model):  # type: ignore[name-defined,misc]
    """A group of staff within one branch (a patch or round). Optional: a
    branch may have none, and a user at most one."""

    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    branch: Mapped[Branch] = relationship(lazy="joined")

    __table_args__ = (db.UniqueConstraint("branch_id", "name"),)

    @property
    def label(self) -> str:
        """How pages name a team: its branch, then its name ("North branch – Town centre")."""
        return f"{self.branch.name} – {self.name}"

    def __repr__(self) -> str:
        return f"<Team {self.name}>"


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
    # Set when a manager types a password for the account: its owner must choose
    # their own at the next sign-in before doing anything else (core.web).
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # At most one team, of one of the user's branches (core.services keeps it so).
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)

    team: Mapped[Team | None] = relationship()
    branches: Mapped[list[Branch]] = relationship(
        secondary=user_branches, lazy="selectin", order_by="Branch.code"
    )

    @property
    def is_active(self) -> bool:  # flask-login asks this
        return self.active

    # The sign-in this request runs under (set by core.services at sign-in and by
    # the session loader); flask-login keeps its token in the session cookie.
    @property
    def sign_in_token(self) -> str | None:
        token: str | None = getattr(self, "_sign_in_token", None)
        return token

    @sign_in_token.setter
    def sign_in_token(self, token: str | None) -> None:
        self._sign_in_token = token

    # When that sign-in started (set alongside the token).
    @property
    def sign_in_started_at(self) -> datetime | None:
        started: datetime | None = getattr(self, "_sign_in_started_at", None)
        return started

    @sign_in_started_at.setter
    def sign_in_started_at(self, started: datetime | None) -> None:
        self._sign_in_started_at = started

    # flask-login's UserMixin compares get_id(), which is now a sign-in's token:
    # people are the same when their accounts are.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, User):
            return NotImplemented
        # Unsaved accounts have no id yet: only the same object is the same account.
        return self is other or (self.id is not None and bool(self.id == other.id))

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = object.__hash__

    def get_id(self) -> str:
        if self.sign_in_token is None:
            raise RuntimeError("no sign-in session: use core.services.start_sign_in_session")
        return self.sign_in_token

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
    # False once archived (people.people_supported): no form offers them any more,
    # and every record about them keeps pointing here.
    active: Mapped[bool] = mapped_column(default=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Why care ended: people.people_supported.ARCHIVE_REASONS; a note with "other".
    archive_reason: Mapped[str | None] = mapped_column(String(20), default=None)
    archive_note: Mapped[str | None] = mapped_column(String(200), default=None)

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


class SignInSession(db.Model):  # type: ignore[name-defined,misc]
    """One sign-in on one device, so that signing out ends it on the server too.

    The session cookie names it by a random token; only the token's SHA-256 is
    kept, so the table alone cannot be used to sign anybody in. A copy of the
    cookie taken before sign-out (or a request still in flight as the person
    signed out) signs nobody in once the row is ended.
    """

    __tablename__ = "sign_in_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    # The account's session_epoch at sign-in: a new password or deactivation
    # (which move the epoch on) ends every earlier sign-in at once.
    epoch: Mapped[int] = mapped_column()
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")


class TrailEvent(db.Model):  # type: ignore[name-defined,misc]
    """Append-only: who did what to which record, and when.

    The ORM refuses updates and deletes (below) and the migration adds database
    triggers, so the trail cannot be rewritten through the app or by hand in SQL.
    """

    # The table keeps the name it was created with; "audit" now means a spot check.
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


@event.listens_for(TrailEvent, "before_update")
@event.listens_for(TrailEvent, "before_delete")
def _refuse_rewrite(mapper: Any, connection: Any, target: TrailEvent) -> None:
    raise AppendOnlyError("the audit trail is append-only")


class Invitation(db.Model):  # type: ignore[name-defined,misc]
    """A single-use link for someone to choose their own password: a new
    account's invitation, or a manager's reset (core/invitations.py).

    Only the token's SHA-256 is kept, so the table alone lets nobody in. A link
    works once, until `expires_at`, and only while it is the account's newest:
    a new one revokes the ones before it.
    """

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # "invitation" (a new account) or "reset" (a manager's password reset).
    purpose: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
