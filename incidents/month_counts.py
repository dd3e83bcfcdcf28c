"""Incidents counted per branch, UK month, kind, harm, category and place
(`IncidentMonthCount`): the governance dashboard's counts read a few hundred summary
rows instead of every incident of the year (docs/scale.md).

Kept in the transaction that writes the incident, whatever writes it (the report,
the sync API, triage, office details, corrections, a deletion): after each flush,
every incident added, changed in a counted column, or deleted moves its count from
its old key to its new one, by an upsert (`INSERT … ON CONFLICT DO UPDATE`, on SQLite
and PostgreSQL alike), keys in order so two writers never wait on each other in a
circle. The counted columns keep their old value when set (`active_history`), so the
old key is known even for a record not read first.

Not seen by it: bulk Core statements on `incident` (the bulk demo seeder calls
`rebuild()` after its inserts; nothing else changes counted columns that way).
`flask rebuild-incident-counts` makes the table again from the incidents."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import click
from flask import Flask
from sqlalchemy import delete, event, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, UOWTransaction, attributes

from core.buckets import month_of
from core.dates import UK, Period, month_key
from extensions import db
from incidents.models import Incident, IncidentMonthCount

COUNTED = ("branch_id", "occurred_at", "kind", "harm", "category", "place")
Key = tuple[int, str, str, str, str, str]  # branch, month, kind, harm, category, place
_OLD = "candour_incident_month_keys"


def _key(values: dict[str, Any]) -> Key | None:
    if values["occurred_at"] is None or values["branch_id"] is None:
        return None
    return (
        int(values["branch_id"]),
        month_key(_aware(values["occurred_at"])),
        values["kind"],
        values["harm"],
        values["category"],
        values["place"] or "",
    )


def _old_key(session: Session, incident: Incident) -> Key | None:
    """The key the incident is counted under: as stored, before this flush."""
    values = {}
    for name in COUNTED:
        history = attributes.get_history(incident, name)
        if history.deleted:
            values[name] = history.deleted[0]
        elif history.unchanged:
            values[name] = history.unchanged[0]
        elif history.added:  # set before its old value was read: read it now
            return _stored_key(session, incident.id)
        else:
            values[name] = getattr(incident, name)  # not loaded: loaded as stored
    return _key(values)


def _stored_key(session: Session, incident_id: str) -> Key | None:
    columns = [getattr(Incident, name) for name in COUNTED]
    row = session.connection().execute(select(*columns).where(Incident.id == incident_id)).first()
    return _key(dict(zip(COUNTED, row, strict=True))) if row is not None else None


def _new_key(incident: Incident) -> Key | None:
    return _key({name: getattr(incident, name) for name in COUNTED})


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context: UOWTransaction, _instances: Any) -> None:
    old: dict[int, Key | None] = {}
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, Incident) and obj not in session.new:
            old[id(obj)] = _old_key(session, obj)
    flush_context.attributes[_OLD] = old


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    old: dict[int, Key | None] = flush_context.attributes.get(_OLD, {})
    changes: Counter[Key] = Counter()
    moves: list[tuple[Key | None, Key | None]]
    moves = [(None, _new_key(o)) for o in session.new if isinstance(o, Incident)]
    moves += [(old[id(o)], _new_key(o)) for o in session.dirty if id(o) in old]
    moves += [(old[id(o)], None) for o in session.deleted if id(o) in old]
    for before, after in moves:
        if before == after:
            continue
        if before is not None:
            changes[before] -= 1
        if after is not None:
            changes[after] += 1
    wanted = {key: n for key, n in changes.items() if n}
    if wanted:
        add(session.connection(), wanted)


def add(conn: Connection, changes: dict[Key, int]) -> None:
    """Add each key's change to its count (a new key starts at 0), keys in order."""
    table = IncidentMonthCount.__table__
    upsert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    names = ("branch_id", "month", "kind", "harm", "category", "place")
    for key in sorted(changes):
        stmt = upsert(table).values(**dict(zip(names, key, strict=True)), n=changes[key])
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=list(names), set_={"n": table.c.n + stmt.excluded.n}
            )
        )


def counted_rows(branch_ids: list[int], months: list[str]) -> list[tuple[Any, ...]]:
    """(month, kind, harm, category, place, n) of the branches' incidents in the
    months, place None when none was chosen (as the incidents themselves have it)."""
    t = IncidentMonthCount
    rows = db.session.execute(
        select(t.month, t.kind, t.harm, t.category, t.place, func.sum(t.n))
        .where(t.branch_id.in_(branch_ids), t.month.in_(months), t.n != 0)
        .group_by(t.month, t.kind, t.harm, t.category, t.place)
    ).all()
    return [(m, k, h, c, p or None, int(n)) for m, k, h, c, p, n in rows]


def rebuild() -> int:
    """Make the table again from the incidents (in the caller's transaction; on
    PostgreSQL, incidents are kept from changing until it commits). Returns rows."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE incident IN SHARE MODE")
    conn.execute(delete(IncidentMonthCount))
    bounds: Any = conn.execute(
        select(func.min(Incident.occurred_at), func.max(Incident.occurred_at))
    ).one()
    first, last = bounds  # None, None without incidents
    if first is None or last is None:
        return 0
    months = _months(first, last)
    month = month_of(Incident.occurred_at, months)
    place = func.coalesce(Incident.place, "")
    counts = (
        select(
            Incident.branch_id, month, Incident.kind, Incident.harm, Incident.category, place,
            func.count(),
        )
        .group_by(Incident.branch_id, month, Incident.kind, Incident.harm, Incident.category, place)
    )  # fmt: skip
    names = ["branch_id", "month", "kind", "harm", "category", "place", "n"]
    conn.execute(insert(IncidentMonthCount).from_select(names, counts))
    return int(conn.execute(select(func.count()).select_from(IncidentMonthCount)).scalar_one())


def _months(first: datetime, last: datetime) -> list[str]:
    """Every UK month key from `first`'s to `last`'s."""
    return Period(_aware(first).astimezone(UK).date(), _aware(last).astimezone(UK).date()).months


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _rebuild_command() -> None:
    """Count the incidents per branch, month, kind, harm, category and place again."""
    rows = rebuild()
    db.session.commit()
    click.echo(f"Incident counts rebuilt: {rows} rows.")


def init_app(app: Flask) -> None:
    app.cli.command("rebuild-incident-counts")(_rebuild_command)
