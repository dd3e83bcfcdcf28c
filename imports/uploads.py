"""An uploaded file kept on the server between its preview and "Confirm import":
under the instance folder (IMPORT_UPLOAD_DIR), named by a random id that only
the uploader's session knows, with the digest of the plan previewed. Kept an
hour at most; removed once confirmed."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from core.models import User

MAX_AGE_SECONDS = 3600


@dataclass(frozen=True)
class Upload:
    upload_id: str
    kind: str
    owner: str
    filename: str
    digest: str
    data: bytes


def _folder() -> Path:
    folder = Path(current_app.config["IMPORT_UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _valid_id(upload_id: str) -> bool:
    return len(upload_id) == 32 and all(c in "0123456789abcdef" for c in upload_id)


def _clear_old(folder: Path) -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for path in folder.glob("*.*"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def owner_of(user: User) -> str:
    """The user and their sign-in (the session cookie's token): another sign-in,
    even of the same account, cannot confirm this upload."""
    return hashlib.sha256(f"{user.id}:{user.sign_in_token}".encode()).hexdigest()


def keep(kind: str, user: User, filename: str, digest: str, data: bytes) -> str:
    folder = _folder()
    _clear_old(folder)
    upload_id = secrets.token_hex(16)
    meta = {"kind": kind, "owner": owner_of(user), "filename": filename, "digest": digest}
    (folder / f"{upload_id}.csv").write_bytes(data)
    (folder / f"{upload_id}.json").write_text(json.dumps(meta))
    return upload_id


def find(upload_id: str, kind: str, user: User) -> Upload | None:
    """The upload, if it exists, is not too old, and is this user's of this kind."""
    if not _valid_id(upload_id):
        return None
    folder = _folder()
    meta_path, data_path = folder / f"{upload_id}.json", folder / f"{upload_id}.csv"
    try:
        if meta_path.stat().st_mtime < time.time() - MAX_AGE_SECONDS:
            return None
        meta = json.loads(meta_path.read_text())
        data = data_path.read_bytes()
    except (OSError, ValueError):
        return None
    owner = owner_of(user)
    if meta.get("kind") != kind or not secrets.compare_digest(str(meta.get("owner")), owner):
        return None
    return Upload(upload_id, kind, owner, str(meta["filename"]), str(meta["digest"]), data)


def update_digest(upload: Upload, digest: str) -> None:
    meta = {"kind": upload.kind, "owner": upload.owner, "filename": upload.filename}
    (_folder() / f"{upload.upload_id}.json").write_text(json.dumps({**meta, "digest": digest}))


def discard(upload_id: str) -> None:
    if _valid_id(upload_id):
        for suffix in (".csv", ".json"):
            (_folder() / f"{upload_id}{suffix}").unlink(missing_ok=True)
