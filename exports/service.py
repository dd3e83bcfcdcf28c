"""Starting an export: which branch (one of the caller's, or all of theirs), the
records of the period within their scope, the export on the audit trail (with
what, the period, the branch, whether anonymised and how many rows), a view on
the trail for each record that may be safeguarding (as on every page that shows
one), then the file's bytes, written a batch at a time as they are sent."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Select, func, insert, literal, select

from core import scoping, trail
from core.dates import Period, utcnow
from core.errors import OutOfScope
from core.models import Branch, TrailEvent, User, UTCDateTime
from exports import csv_file, xlsx_file
from exports.datasets import INCIDENTS, Dataset
from exports.rows import columns_of, value_batches
from extensions import db
from incidents.models import Incident

__all__ = ["Export", "Period", "branch_for", "cycle_collection_paused", "start"]


@dataclass(frozen=True)
class Export:
    dataset: Dataset
    file_format: str  # "csv" or "xlsx"
    period: Period
    branch: Branch | None
    anonymised: bool

    @property
    def filename(self) -> str:
        parts = [
            self.dataset.name,
            self.period.start.isoformat(),
            "to",
            self.period.end.isoformat(),
        ]
        if self.branch is not None:
            parts.append(self.branch.code)
        if self.anonymised:
            parts.append("anonymised")
        return "-".join(parts) + "." + self.file_format

    @property
    def mimetype(self) -> str:
        return xlsx_file.MIMETYPE if self.file_format == "xlsx" else csv_file.MIMETYPE


def branch_for(user: User, code: str | None) -> Branch | None:
    """The branch a code names, among the user's (archived ones too: their
    records stay); None for all of them. A branch that is not theirs, or does
    not exist, is OutOfScope (404) alike: its existence is not revealed."""
    if not code:
        return None
    for branch in scoping.branches_for(user):
        if branch.code == code.strip().upper():
            return branch
    raise OutOfScope(code)


def _count(export: Export, stmt: Select[Any]) -> int:
    ids = export.dataset.ids(stmt).subquery()
    return int(db.session.scalar(select(func.count()).select_from(ids)) or 0)


def _note_safeguarding_views(user: User, export: Export, stmt: Select[Any]) -> None:
    """A "view" on the trail of each incident in the file that may be
    safeguarding, written by one statement (the file may hold thousands)."""
    if export.dataset is not INCIDENTS:
        return
    restricted = export.dataset.ids(stmt).where(Incident.may_be_safeguarding_condition())
    detail = {"safeguarding": True, "shown_in": "export"}
    views = select(
        literal(utcnow(), UTCDateTime),
        literal(user.id),
        literal("view"),
        literal("incident"),
        restricted.subquery().c.id,
        literal(detail, JSON),
    )
    columns = ["at", "actor_id", "action", "record_type", "record_id", "detail"]
    db.session.execute(insert(TrailEvent).from_select(columns, views))


def start(user: User, export: Export) -> Iterator[bytes]:
    """Record the export on the trail (committed before the first byte is sent)
    and give the file's bytes. Call within the request: the records are chosen
    now; the bytes are written as the response is sent."""
    stmt = export.dataset.statement(user, export.period, export.branch)
    now = utcnow()
    trail.record(
        user,
        "export",
        "export",
        export.dataset.name,
        format=export.file_format,
        date_from=export.period.start.isoformat(),
        date_to=export.period.end.isoformat(),
        branch=export.branch.code if export.branch else None,
        anonymised=export.anonymised,
        rows=_count(export, stmt),
    )
    _note_safeguarding_views(user, export, stmt)
    db.session.commit()
    return _file(export, user.id, stmt, now)


def _file(export: Export, user_id: int, stmt: Select[Any], now: datetime) -> Iterator[bytes]:
    """The file's bytes, written while the response is sent: by then the
    request's own database session has ended, so the person is read again."""
    user = db.session.get_one(User, user_id)
    columns = columns_of(export.dataset, anonymised=export.anonymised)
    batches = value_batches(export.dataset, user, stmt, anonymised=export.anonymised, now=now)
    with cycle_collection_paused():
        if export.file_format == "xlsx":
            yield from xlsx_file.chunks(export.dataset.sheet, columns, batches)
        else:
            yield from csv_file.chunks(columns, batches)


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Python's cycle collector off while a file is written, then as it was (also when
    the download stops: the generator is closed). A file's rows, values and cells hold
    no cycles (reference counting frees each batch), but the collector walks every
    batch's rows while they live, several times a batch: a tenth to a fifth of a large
    export's time, and a whole-heap collection of a quarter of a second in about one
    export of five at 200,000 incidents (docs/scale.md)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
