"""Messages to staff (one per recipient and channel) and their preferences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.dates import utcnow
from core.models import User, UTCDateTime
from extensions import db


class Status:
    QUEUED = "queued"  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending"  # a worker has claimed it (claimed_at) and is sending it
    SENT = "sent"
    FAILED = "failed"  # not delivered: given up after retries, or the address is gone


class Message(db.Model):  # type: ignore[name-defined,misc]
    """One message to one person by one channel. `subject` and `text` hold no
    personal data (reference, branch, kind and a link only): they are kept here and
    handed to mail servers and push services."""

    __tablename__ = "message"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    # What the message is about, e.g. "escalation:42:1": the same event never
    # sends the same person the same message twice by the same channel.
    event_key: Mapped[str] = mapped_column(String(200))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    link_path: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default=Status.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    # Not before this time (quiet hours, back-off); None: straight away.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # When a worker claimed it for sending (status "sending").
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    recipient: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("event_key", "recipient_id", "channel"),
        Index("ix_message_status_next_attempt_at", "status", "next_attempt_at"),
    )

    def __repr__(self) -> str:
        return f"<Message {self.id} {self.kind} {self.channel} {self.status}>"


class Preference(db.Model):  # type: ignore[name-defined,misc]
    """Whether `user` wants messages of `kind` by `channel`. No row: yes."""

    __tablename__ = "message_preference"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(20))
    on: Mapped[bool] = mapped_column(default=True)

    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("user_id", "kind", "channel"),)
