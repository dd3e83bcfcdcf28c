"""Where photos' bytes are kept: one small interface (store, get, delete by key),
so that moving them to object storage (S3 and the like) is one new class and
one setting, with nothing else changed. The database is the default: it works
across app servers and is in every backup (docs/operations.md says how large it
grows and when to move)."""

from __future__ import annotations

from typing import Protocol

from flask import current_app

from extensions import db
from incidents.attachment_models import StoredFile


class FileStore(Protocol):
    def store(self, key: str, data: bytes) -> None:
        """Keep `data` under `key`, in the caller's transaction where there is one."""

    def get(self, key: str) -> bytes | None:
        """The bytes kept under `key`, or None."""

    def delete(self, key: str) -> None:
        """Forget `key` (nothing happens when there is nothing under it)."""


class DatabaseFileStore:
    """A table of bytes (stored_file). Writes join the caller's transaction, so a
    photo's bytes and its record commit together or not at all."""

    def store(self, key: str, data: bytes) -> None:
        db.session.add(StoredFile(key=key, data=data, size=len(data)))

    def get(self, key: str) -> bytes | None:
        row = db.session.get(StoredFile, key)
        return None if row is None else bytes(row.data)

    def delete(self, key: str) -> None:
        row = db.session.get(StoredFile, key)
        if row is not None:
            db.session.delete(row)


_STORES: dict[str, type] = {"database": DatabaseFileStore}


def file_store() -> FileStore:
    """The store the settings name (FILE_STORE; "database" unless set)."""
    kind = current_app.config.get("FILE_STORE", "database")
    store: FileStore = _STORES[kind]()
    return store
