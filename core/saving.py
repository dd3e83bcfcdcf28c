"""Saving a change to a record that two people may edit at once.

Records that staff edit carry a version column (SQLAlchemy's `version_id_col`).
A form sends back the version it was opened at: a different one means someone
else saved first. A change that loses the race at commit time (the version moved
between reading and writing) is noticed by SQLAlchemy as `StaleDataError`. Either
way nothing is saved and the caller gets a 409 (`Stale`, or a subclass that
carries the current record for the page to show), never a lost update.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm.exc import StaleDataError

from core.errors import Stale
from extensions import db


def check_version(record: Any, version: int | None, stale: Callable[[], Exception] = Stale) -> None:
    """Refuse a form opened at another version than the record's (None: the
    caller did not send one, as the API's older clients may not)."""
    if version is not None and version != record.version:
        raise stale()


@contextmanager
def saving(stale: Callable[[], Exception] = Stale) -> Iterator[None]:
    """Make the block's changes and commit them all, or none of them when a
    record they touch was changed meanwhile (at any flush in the block or at the
    commit): then roll back and raise `stale()`, called after the rollback so it
    may read the current record."""
    try:
        yield
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise stale() from None


def commit(stale: Callable[[], Exception] = Stale) -> None:
    """Commit what the session holds, as `saving` does."""
    with saving(stale):
        pass
