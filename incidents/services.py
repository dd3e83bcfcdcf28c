"""The rules for incidents: creating one exactly once, numbering, reading within
scope. Pages, the sync API and the CLI all call these; no request objects here."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from core import pagination, scoping, trail
from core.dates import UK, utcnow
from core.errors import Invalid as InvalidIncident  # the shared 422 error, local name kept
from core.errors import NotAllowed, OutOfScope
from core.exactly_once import already_sent, content_hash, first_send, offset_minutes
from core.models import Branch, Role, User
from extensions import db
from incidents import body_map, decisions, hooks
from incidents.models import Incident, ReferenceCounter
from incidents.schemas import RULE_MESSAGES

REPORTING_ROLES = {Role.CARER.value, Role.SUPERVISOR.value, Role.MANAGER.value}
# Fields added to the report after its first version, with the value that means
# "not sent" (issue 15).
ADDED_FIELDS: dict[str, Any] = {
    "place": None,
    "injured_staff_id": None,
    "staff_injury": "",
    "specified_injury": None,
    "non_worker_hospital": False,
    "other_staff_ids": [],
    "witness_ids": [],
}
STAFF_NOT_HERE = "Choose staff of this branch from the list."


@dataclass(frozen=True)
class IncidentReceipt:
    incident: Incident
    created: bool


def next_reference(year: int) -> str:
    """INC-YYYY-NNNN, sequential per year, never reused.

    The counter row is updated in the caller's transaction: concurrent creators
    queue on its row lock (PostgreSQL) or on the write lock (SQLite), so no two
    commits can hold the same number.
    """
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(ReferenceCounter).values(year=year, last=0).on_conflict_do_nothing())
    number = db.session.execute(
        update(ReferenceCounter)
        .where(ReferenceCounter.year == year)
        .values(last=ReferenceCounter.last + 1)
        .returning(ReferenceCounter.last)
    ).scalar_one()
    width = max(4, len(str(number)))
    return f"INC-{year}-{number:0{width}d}"


def _resolve_branch(author: User, data: dict[str, Any]) -> tuple[Branch, int | None]:
    branch, person = scoping.where_entry_belongs(author, data.get("person_ref"), data.get("branch"))
    if branch is not None:
        return branch, person.id if person is not None else None
    mine = scoping.branches_for(author)
    if len(mine) == 1:
        return mine[0], None
    raise InvalidIncident({"branch": [RULE_MESSAGES["branch_needed"]]})


def _reporter_team(author: User, branch: Branch) -> int | None:
    """The reporter's team now, kept on the incident so that moving team later
    does not move history; none when their team is of another branch (an
    incident in a branch they cover from elsewhere is not that team's)."""
    team = author.team
    if team is None or team.branch_id != branch.id:
        return None
    return team.id


def create_incident(
    author: User, data: dict[str, Any], *, received_at: datetime | None = None
) -> IncidentReceipt:
    """Save a validated incident exactly once, with a pending decision for every
    duty it may trigger (incidents/duties.py), in one transaction.

    Same id and same content: the first record (created=False). Same id and other
    content: IdConflict. The primary key is the device's UUID, so even concurrent
    duplicates end as one row: the loser's insert fails and it reads the winner.
    `received_at` is only for generated demo data and imports; clients never set it.
    """
    if author.role not in REPORTING_ROLES:
        raise NotAllowed()
    incident_id = str(data["id"])
    # A report without the fields added since (left at their defaults, and no body
    # marks) hashes as it did before they were added, so a phone replaying an
    # entry sent before the change still gets 200, not 409.
    hashed = {
        k: v
        for k, v in data.items()
        if not (k in ADDED_FIELDS and v == ADDED_FIELDS[k]) and not (k == "body_map" and not v)
    }
    digest = content_hash(author, hashed)
    existing = already_sent(Incident, incident_id, digest)
    if existing is not None:
        return IncidentReceipt(existing, created=False)

    branch, person_id = _resolve_branch(author, data)
    _check_staff_named(branch, data)
    received = received_at or utcnow()
    thresholds = data["thresholds"]
    incident = Incident(
        id=incident_id,
        reference=next_reference(received.astimezone(UK).year),
        content_hash=digest,
        kind=data["kind"],
        category=data["category"],
        medication_error=data.get("medication_error"),
        time_critical=data.get("time_critical", False),
        occurred_at=data["occurred_at"],
        occurred_offset=offset_minutes(data["occurred_at"]),
        reported_at=data["reported_at"],
        reported_offset=offset_minutes(data["reported_at"]),
        late_reason=(data.get("late_reason") or None),
        received_at=received,
        branch_id=branch.id,
        person_id=person_id,
        author_id=author.id,
        team_id=_reporter_team(author, branch),
        location=data.get("location") or "",
        place=data.get("place"),
        what_happened=data["what_happened"],
        immediate_actions=data["immediate_actions"],
        harm=data["harm"],
        # Naming the colleague hurt, or their specified injury, says a member of
        # staff was hurt, whether or not the box was ticked.
        staff_injured=bool(
            data.get("staff_injured")
            or data.get("injured_staff_id") is not None
            or data.get("specified_injury")
        ),
        injured_staff_id=data.get("injured_staff_id"),
        staff_injury=(data.get("staff_injury") or "").strip(),
        specified_injury=data.get("specified_injury"),
        non_worker_hospital=bool(data.get("non_worker_hospital")),
        other_staff_ids=_unique(data.get("other_staff_ids") or []),
        witness_ids=_unique(data.get("witness_ids") or []),
        people_informed=[
            {"who": row["who"], "at": row["at"].isoformat(), "method": row["method"]}
            for row in data.get("people_informed") or []
        ],
        safeguarding=thresholds["safeguarding"],
        clinical_escalation=thresholds["clinical_escalation"],
        family_contact=thresholds["family_contact"],
        body_marks=body_map.marks_of(data.get("body_map") or []),
    )
    with first_send(Incident, incident_id, digest) as sent:
        db.session.add(incident)
        created = trail.record(
            author, "create", "incident", incident_id, reference=incident.reference
        )
        decisions.open_decisions(incident, at=received_at)
        if received_at is not None:
            created.at = received_at
        else:  # a live report (not generated or imported history): escalation and the like
            hooks.incident_created(incident)
    return IncidentReceipt(sent.winner or incident, created=sent.winner is None)


def _unique(ids: list[int]) -> list[int]:
    return list(dict.fromkeys(ids))


def branch_staff_ids(branch_id: int) -> set[int]:
    """Active staff of a branch: who may be named as hurt, involved or a witness."""
    stmt = select(User.id).where(User.active.is_(True), User.branches.any(Branch.id == branch_id))
    return set(db.session.scalars(stmt))


def staff_by_id(ids: Iterable[int]) -> dict[int, User]:
    """Staff by id, in name order (for the record and the form)."""
    wanted = set(ids)
    if not wanted:
        return {}
    stmt = select(User).where(User.id.in_(wanted)).order_by(User.name, User.id)
    return {u.id: u for u in db.session.scalars(stmt)}


def _check_staff_named(branch: Branch, data: dict[str, Any]) -> None:
    """Everyone named is active staff of the incident's branch (422 otherwise)."""
    staff = branch_staff_ids(branch.id)
    errors: dict[str, list[str]] = {}
    if data.get("injured_staff_id") is not None and data["injured_staff_id"] not in staff:
        errors["injured_staff_id"] = [STAFF_NOT_HERE]
    for name in ("other_staff_ids", "witness_ids"):
        for n, staff_id in enumerate(data.get(name) or []):
            if staff_id not in staff:
                errors[f"{name}.{n}"] = [STAFF_NOT_HERE]
    if errors:
        raise InvalidIncident(errors)


def own_incident(author: User, incident_id: str) -> Incident | None:
    """The author's own incident with this device id, if it was already received
    (a form sent twice); None for an unknown id, a malformed one or another's."""
    try:
        key = str(uuid.UUID(incident_id))
    except (ValueError, AttributeError, TypeError):
        return None
    incident = db.session.get(Incident, key)
    if incident is None or incident.author_id != author.id:
        return None
    return incident


# --- reading ------------------------------------------------------------------------


def visible_incidents(user: User) -> Select[Any]:
    return scoping.scoped(db.select(Incident), user, Incident)


def incident_in_scope(user: User, incident_id: str) -> Incident:
    """One incident within scope (OutOfScope otherwise), for the pages that link
    to it; unlike `get_incident`, not a view of the record."""
    return scoping.one_by_uuid_in_scope(visible_incidents(user), Incident, incident_id)


def get_incident(user: User, incident_id: str) -> Incident:
    """One incident within scope (OutOfScope otherwise), as a view of it: views
    of records that may be safeguarding are written to the audit trail."""
    try:
        key = str(uuid.UUID(incident_id))
    except ValueError:
        raise OutOfScope(incident_id) from None
    incident: Incident | None = db.session.scalar(visible_incidents(user).where(Incident.id == key))
    if incident is None:
        raise OutOfScope(incident_id)
    note_views(user, [incident], "record")
    return incident


def note_views(user: User, shown: Iterable[Incident], shown_in: str) -> None:
    """Every view of a record that may be safeguarding goes on the audit trail,
    on its own page ("record") or in a list ("list", "api_list"): one event per
    record shown, in this request."""
    restricted = [i.id for i in shown if i.may_be_safeguarding]
    trail.record_views(user, "incident", restricted, safeguarding=True, shown_in=shown_in)


def page_of_incidents(
    user: User, limit: int, cursor: str | None
) -> tuple[list[Incident], str | None]:
    """Newest first (by when the server received them), keyset-paginated. The
    records shown that may be safeguarding are views on the trail."""
    # The body map's marks of the whole page in one statement, not one per record.
    visible = visible_incidents(user).options(selectinload(Incident.body_marks))
    items, next_cursor = pagination.newest_received(
        visible, Incident.received_at, Incident.id, limit, cursor
    )
    note_views(user, items, "api_list")
    return items, next_cursor
