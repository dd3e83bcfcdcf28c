"""An uploaded CSV file kept between its preview and "Confirm import".

A row in the database, not a file on the server's disk: the confirm may reach
another instance than the preview did (several app servers behind a proxy,
docs/operations.md#several-instances), and every instance sees the same
database. The file is at most IMPORT_MAX_BYTES (2 MB) and kept an hour at most.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from core.dates import utcnow
from core.models import UTCDateTime
from extensions import db


class ImportUpload(db.Model):  # type: ignore[name-defined,misc]
    """`id` is random and known only to the uploader's page; `owner` ties it to
    the uploader's sign-in (imports.uploads.owner_of); `digest` is the plan
    previewed, which must still be the plan at confirm."""

    __tablename__ = "import_upload"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    owner: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
