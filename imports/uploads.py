"""An uploaded file kept on the server between its preview and "Confirm import":
a row in the database (imports.models.ImportUpload), so the confirm works
whichever app instance it reaches, named by a random id that only the
uploader's page knows, with the digest of the plan previewed. Kept an hour at
most; removed once confirmed."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from core.dates import utcnow
from core.models import User
from extensions import db
from imports.models import ImportUpload

MAX_AGE = timedelta(hours=1)


@dataclass(frozen=True)
class Upload:
    upload_id: str
    kind: str
    owner: str
    filename: str
    digest: str
    data: bytes


def _valid_id(upload_id: str) -> bool:
    return len(upload_id) == 32 and all(c in "0123456789abcdef" for c in upload_id)


def owner_of(user: User) -> str:
    """The user and their sign-in (the session cookie's token): another sign-in,
    even of the same account, cannot confirm this upload."""
    return hashlib.sha256(f"{user.id}:{user.sign_in_token}".encode()).hexdigest()


def keep(kind: str, user: User, filename: str, digest: str, data: bytes) -> str:
    db.session.execute(db.delete(ImportUpload).where(ImportUpload.created_at < utcnow() - MAX_AGE))
    upload_id = secrets.token_hex(16)
    db.session.add(
        ImportUpload(
            id=upload_id,
            kind=kind,
            owner=owner_of(user),
            filename=filename,
            digest=digest,
            data=data,
        )
    )
    db.session.commit()
    return upload_id


def find(upload_id: str, kind: str, user: User) -> Upload | None:
    """The upload, if it exists, is not too old, and is this user's of this kind."""
    if not _valid_id(upload_id):
        return None
    row = db.session.get(ImportUpload, upload_id)
    if row is None or row.created_at < utcnow() - MAX_AGE or row.kind != kind:
        return None
    owner = owner_of(user)
    if not secrets.compare_digest(row.owner, owner):
        return None
    return Upload(row.id, row.kind, owner, row.filename, row.digest, bytes(row.data))


def update_digest(upload: Upload, digest: str) -> None:
    db.session.execute(
        db.update(ImportUpload).where(ImportUpload.id == upload.upload_id).values(digest=digest)
    )
    db.session.commit()


def discard(upload_id: str) -> None:
    if _valid_id(upload_id):
        db.session.execute(db.delete(ImportUpload).where(ImportUpload.id == upload_id))
        db.session.commit()


def count() -> int:
    """How many uploads wait for a confirm (for tests and the health of the table)."""
    return db.session.scalar(db.select(db.func.count()).select_from(ImportUpload)) or 0
