"""Two-factor sign-in's records: one row per account that has (or is setting up,
or is exempt from) a second factor, and its recovery codes.

A table of its own rather than columns on `user`, so that the account row the
session loader reads on every request is unchanged; see core/two_factor.py for
the rules."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.dates import utcnow
from core.models import UTCDateTime
from extensions import db


class TwoFactor(db.Model):  # type: ignore[name-defined,misc]
    """An account's second factor: a TOTP secret (RFC 6238), switched on once a
    code from it has been entered (`enabled_at`), and the last time step used, so
    no code is accepted twice. `exempt`: the demo accounts (core/demo.py), which
    never have to have one."""

    __tablename__ = "two_factor"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    exempt: Mapped[bool] = mapped_column(default=False)
    # Base32, as authenticator apps take it. Shown only while being set up.
    secret: Mapped[str | None] = mapped_column(String(64), default=None)
    enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)


class RecoveryCode(db.Model):  # type: ignore[name-defined,misc]
    """One single-use recovery code, kept only as the SHA-256 of its text (80
    random bits: no list of guesses can cover them, so a slow hash adds nothing)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
