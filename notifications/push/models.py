"""A phone's (or browser's) web push subscription: where a push service takes
alerts for one person on one device, and the keys to encrypt them (RFC 8291)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.dates import utcnow
from core.models import User, UTCDateTime
from extensions import db


class PushSubscription(db.Model):  # type: ignore[name-defined,misc]
    """One per device: the push service's endpoint is unique, so a phone that
    someone else signs in on and subscribes moves to them. Removed when the
    person switches alerts off on the device, or when the push service says the
    subscription no longer exists (404/410)."""

    __tablename__ = "push_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # The push service's address for this device (a capability URL: secret).
    endpoint: Mapped[str] = mapped_column(String(1024), unique=True)
    # The browser's P-256 public key (65 bytes) and auth secret (16 bytes), base64url.
    p256dh: Mapped[str] = mapped_column(String(100))
    auth: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
