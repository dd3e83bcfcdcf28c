"""Photos attached to an incident (issue 15): what was stored and who agreed to
it, and the bytes themselves behind the small storage interface in
incidents/file_store.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.dates import utcnow
from core.models import User, UTCDateTime
from extensions import db
from incidents.models import Incident


class Attachment(db.Model):  # type: ignore[name-defined,misc]
    """One photo of an incident, as stored: re-encoded, with no metadata."""

    __tablename__ = "incident_attachment"

    # The UUID the phone made when the photo was taken: the key for exactly-once.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incident.id"), index=True)
    # SHA-256 of who sent it, the incident and the bytes as sent (before
    # re-encoding), to tell a replay (same) from a reuse of the id (different).
    content_hash: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(40))
    bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    # Who agreed to the photo being taken (the person, or who decided for them).
    consent_by: Mapped[str] = mapped_column(String(200))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Where the bytes are in the file store.
    storage_key: Mapped[str] = mapped_column(String(100))

    incident: Mapped[Incident] = relationship()
    uploaded_by: Mapped[User] = relationship()


class StoredFile(db.Model):  # type: ignore[name-defined,misc]
    """The database file store's bytes (incidents/file_store.py): one row a file."""

    __tablename__ = "stored_file"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
