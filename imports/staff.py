"""Importing staff accounts: email, name, role, branches (codes separated by
";") and team (may be empty) per row. An email already on file is updated
(name, role, branches, team); a new one gets an account with no password, to be
set through an invitation. Read in bulk: branches, teams and the accounts the
file names, one query each (and one for those accounts' branches)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from core import trail
from core.models import Branch, Role, Team, User, user_branches
from core.passwords import NO_PASSWORD
from core.services import normalise_email
from extensions import db
from imports.plans import Outcome, Plan, Row
from imports.reading import Line
from imports.schemas import ROLE_NAMES, staff_rows_errors
from imports.scope import Branches, in_chunks

ROLES = ", ".join(r.value for r in Role)


def existing(emails: Iterable[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    for chunk in in_chunks(sorted(set(emails))):
        found.update(
            {u.email: u for u in db.session.scalars(db.select(User).where(User.email.in_(chunk)))}
        )
    return found


class _Teams:
    def __init__(self) -> None:
        self.active: list[Team] = [t for t in db.session.scalars(db.select(Team)) if t.active]

    def named(self, row: Row, name: str, branches: list[Branch]) -> Team | None:
        ids = {b.id for b in branches}
        found = [t for t in self.active if t.branch_id in ids and t.name.lower() == name.lower()]
        if len(found) == 1:
            return found[0]
        codes = ", ".join(b.code for b in branches)
        if found:
            row.refuse(f"More than one of their branches ({codes}) has a team called {name}.")
        else:
            row.refuse(f"No team called {name} in their branches ({codes}).")
        return None


def plan(lines: Sequence[Line], branches: Branches, importer: User | None) -> Plan:
    for line in lines:
        line.values["email"] = normalise_email(line.values["email"])
    users = existing(line.values["email"] for line in lines)
    teams = _Teams()
    seen: dict[str, int] = {}
    rows = []
    checked = staff_rows_errors([line.values for line in lines])
    for line, reasons in zip(lines, checked, strict=True):
        row = _row(line, reasons, seen)
        chosen = [b for code in row.values["branches"] if (b := branches.named(row, code))]
        team = (
            teams.named(row, line.values["team"], chosen)
            if line.values["team"] and chosen
            else None
        )
        row.values["team_id"] = team.id if team else None
        if row.outcome is not Outcome.ERROR:
            _compare(row, users.get(row.key), team, branches, importer)
        rows.append(row)
    return Plan("staff", rows)


def _row(line: Line, reasons: list[str], seen: dict[str, int]) -> Row:
    values: dict[str, Any] = dict(line.values)
    values["role"] = ROLE_NAMES.get(values["role"].lower(), values["role"])
    codes = [c.strip() for c in values["branches"].split(";") if c.strip()]
    values["branches"] = sorted({c.upper() for c in codes})
    values["team"] = values["team"] or None
    row = Row(line.number, values["email"], values)
    for reason in reasons:
        row.refuse(f"Choose a role: one of {ROLES}." if reason == "Choose a role." else reason)
    if line.too_many:
        row.refuse(Branches.TOO_MANY)
    if not codes:
        row.refuse("Enter at least one branch code (separate several with ;).")
    if row.key:
        first = seen.setdefault(row.key, row.line)
        if first != row.line:
            row.refuse(f"The email {row.key} is also on line {first}: each account once.")
    return row


def _manages(user: User, branches: Branches) -> bool:
    """Whether the importer may change this existing account (as the staff page:
    its branches are all the importer's, or it has none and the importer has them all)."""
    if branches.allowed is None:
        return True
    ids = user.branch_ids
    if not ids:
        return branches.allowed >= branches.all_ids
    return ids <= branches.allowed


def _compare(
    row: Row, user: User | None, team: Team | None, branches: Branches, importer: User | None
) -> None:
    if user is None:
        row.outcome = Outcome.ADD
        return
    if not _manages(user, branches):
        row.refuse("This email belongs to an account outside your branches.")
        return
    if importer is not None and user.id == importer.id and row.values["role"] != user.role:
        row.refuse("You cannot change your own role.")
        return
    now = _snapshot(user.name, user.role, [b.code for b in user.branches], user.team)
    after = _snapshot(row.values["name"], row.values["role"], row.values["branches"], team)
    row.changes = {k: [now[k], after[k]] for k in now if now[k] != after[k]}
    row.outcome = Outcome.UPDATE if row.changes else Outcome.UNCHANGED


def _snapshot(name: str, role: str, codes: list[str], team: Team | None) -> dict[str, Any]:
    return {
        "name": name,
        "role": role,
        "branches": sorted(c.upper() for c in codes),
        "team": team.name if team else None,
    }


def _details(row: Row) -> dict[str, Any]:
    return {
        "name": row.values["name"],
        "role": row.values["role"],
        "team_id": row.values["team_id"],
    }


def apply(plan: Plan, branches: Branches, importer: User | None, import_id: str) -> list[User]:
    """Write a plan with no errors (adds in one INSERT of them all), each change
    with its trail event, in the caller's transaction. Returns the new accounts."""
    updates = [r for r in plan.rows if r.outcome is Outcome.UPDATE]
    adds = [r for r in plan.rows if r.outcome is Outcome.ADD]
    users = existing(r.key for r in updates)
    for row in updates:
        user = users[row.key]
        for name, value in _details(row).items():
            setattr(user, name, value)
        user.branches = [branches.by_code[c] for c in row.values["branches"]]
    trail.record_many(
        importer,
        "update",
        "user",
        ((users[r.key].id, {"changes": r.changes, "import_id": import_id}) for r in updates),
    )
    if not adds:
        return []
    db.session.execute(
        db.insert(User),
        [{"email": r.key, "password_hash": NO_PASSWORD, **_details(r)} for r in adds],
    )
    ids = dict(_ids(r.key for r in adds))
    db.session.execute(
        db.insert(user_branches),
        [
            {"user_id": ids[r.key], "branch_id": branches.by_code[code].id}
            for r in adds
            for code in r.values["branches"]
        ],
    )
    trail.record_many(
        importer,
        "create",
        "user",
        (
            (
                ids[r.key],
                {
                    "email": r.key,
                    "role": r.values["role"],
                    "branches": r.values["branches"],
                    "import_id": import_id,
                },
            )
            for r in adds
        ),
    )
    added = existing(ids)
    return [added[r.key] for r in adds]


def _ids(emails: Iterable[str]) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for chunk in in_chunks(sorted(set(emails))):
        stmt = db.select(User.email, User.id).where(User.email.in_(chunk))
        found.extend((email, user_id) for email, user_id in db.session.execute(stmt))
    return found
