"""The filtered audit trail as a CSV file: UTF-8 with a BOM (so Excel reads it as
such), streamed a batch at a time, each cell neutralised against formulas
(core.spreadsheet_cells). The export is itself on the trail, with its filters."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select

from core import trail
from core.models import TrailEvent, User
from core.spreadsheet_cells import BOM, safe_row
from core.templating import uk_time
from extensions import db
from oversight.trail_search import TrailFilters, batches, describe_record, references_for

HEADER = ["When (UK time)", "Person", "Action", "Record type", "Record", "Details"]


def filename(filters: TrailFilters) -> str:
    first = filters.date_from.isoformat() if filters.date_from else "start"
    last = filters.date_to.isoformat() if filters.date_to else "now"
    return f"audit-trail-{first}-to-{last}.csv"


def record_export(actor: User, filters: TrailFilters) -> None:
    """The export on the trail, committed before the file is sent."""
    trail.record(actor, "export", "audit_trail", "csv", filters=filters.as_query())
    db.session.commit()


def _row(event: TrailEvent, references: dict[tuple[str, str], str]) -> list[str]:
    return safe_row(
        [
            uk_time(event.at, "%d/%m/%Y %H:%M:%S"),
            event.actor.name if event.actor else "Candour (automatic)",
            event.action,
            event.record_type,
            describe_record(event, references),
            json.dumps(event.detail or {}, ensure_ascii=False, sort_keys=True),
        ]
    )


def _lines(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def csv_chunks(events: Select[Any]) -> Iterator[str]:
    """The file, a chunk per batch of events, the first with the BOM and header."""
    yield BOM + _lines([HEADER])
    for batch in batches(events):
        references = references_for(batch)
        yield _lines([_row(event, references) for event in batch])
