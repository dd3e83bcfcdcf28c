"""Importing people supported: a reference, initials and a branch per row. A
reference already on file is updated (initials, branch); a new one is added.
Everything is read in bulk: one query for the branches, one for the references
the file names."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from core import trail
from core.models import Branch, PersonSupported, User
from extensions import db
from imports.plans import Outcome, Plan, Row
from imports.reading import Line
from imports.schemas import PersonRowSchema, rows_errors
from imports.scope import Branches, in_chunks

_schema = PersonRowSchema()


def existing(refs: Iterable[str]) -> dict[str, PersonSupported]:
    found: dict[str, PersonSupported] = {}
    for chunk in in_chunks(sorted(set(refs))):
        stmt = db.select(PersonSupported).where(PersonSupported.ref.in_(chunk))
        found.update({p.ref: p for p in db.session.scalars(stmt)})
    return found


def plan(lines: Sequence[Line], branches: Branches) -> Plan:
    people = existing(line.values["ref"] for line in lines)
    seen: dict[str, int] = {}
    rows = []
    checked = rows_errors(_schema, [line.values for line in lines])
    for line, reasons in zip(lines, checked, strict=True):
        row = Row(line.number, line.values["ref"], dict(line.values))
        for reason in reasons:
            row.refuse(reason)
        if line.too_many:
            row.refuse(branches.TOO_MANY)
        _check_key(row, seen)
        branch = branches.named(row, line.values["branch"]) if line.values["branch"] else None
        if row.outcome is not Outcome.ERROR and branch is not None:
            _compare(row, people.get(row.key), branch, branches)
        rows.append(row)
    return Plan("people", rows)


def _check_key(row: Row, seen: dict[str, int]) -> None:
    if not row.key:
        return
    first = seen.setdefault(row.key.lower(), row.line)
    if first != row.line:
        row.refuse(f"The reference {row.key} is also on line {first}: each person once.")


def _compare(row: Row, person: PersonSupported | None, branch: Branch, branches: Branches) -> None:
    if person is None:
        row.outcome = Outcome.ADD
        return
    if not branches.may_change(person.branch_id):
        row.refuse("This reference is already used by someone outside your branches.")
        return
    now: dict[str, Any] = {"initials": person.initials, "branch": person.branch.code}
    after: dict[str, Any] = {"initials": row.values["initials"], "branch": branch.code}
    row.changes = {k: [now[k], after[k]] for k in now if now[k] != after[k]}
    row.outcome = Outcome.UPDATE if row.changes else Outcome.UNCHANGED


def apply(plan: Plan, branches: Branches, importer: User | None, import_id: str) -> None:
    """Write a plan with no errors: adds (one INSERT of them all) and updates,
    each with its trail event, in the caller's transaction."""
    updates = [r for r in plan.rows if r.outcome is Outcome.UPDATE]
    adds = [r for r in plan.rows if r.outcome is Outcome.ADD]
    people = existing(r.key for r in updates)
    for row in updates:
        person = people[row.key]
        person.initials = row.values["initials"]
        person.branch_id = branches.by_code[row.values["branch"].upper()].id
    trail.record_many(
        importer,
        "update",
        "person_supported",
        ((people[r.key].id, {"changes": r.changes, "import_id": import_id}) for r in updates),
    )
    if not adds:
        return
    db.session.execute(
        db.insert(PersonSupported),
        [
            {
                "ref": r.key,
                "initials": r.values["initials"],
                "branch_id": branches.by_code[r.values["branch"].upper()].id,
            }
            for r in adds
        ],
    )
    added = existing(r.key for r in adds)
    trail.record_many(
        importer,
        "create",
        "person_supported",
        (
            (
                added[r.key].id,
                {"ref": r.key, "branch": r.values["branch"].upper(), "import_id": import_id},
            )
            for r in adds
        ),
    )
