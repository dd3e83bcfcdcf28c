"""Branches: the ones a manager manages, with what is in each, and adding,
renaming and archiving them. No request objects here.

An archived branch is offered nowhere any more (staff forms, the people
supported, the phone's reference list, the report form) and everything recorded
in it stays where it is. Archiving is refused, with the reason, while the branch
still has work in it: packages above core say what that is through
`add_branch_count` (incidents adds its open incidents), since core imports none
of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from core import navigation, permissions, trail
from core.dates import utcnow
from core.errors import Invalid, OutOfScope
from core.models import Branch, PersonSupported, Role, User, user_branches
from extensions import db

# Who manages branches: registered managers, within their own branches.
MANAGING = {Role.MANAGER}

CODE_MAX = 20
NAME_MAX = 120
CODE_PATTERN = re.compile(r"[A-Z0-9](?:[A-Z0-9-]*[A-Z0-9])?")
CODE_RULE = f"Enter a code of up to {CODE_MAX} capital letters, digits and hyphens, such as NORTH or LEEDS-2."
NAME_RULE = f"Enter a name of up to {NAME_MAX} characters, such as North Leeds."


class BranchError(Invalid, ValueError):
    """A rule about branches was broken; the message says which, per field."""


# --- what is in a branch -----------------------------------------------------------

# branch ids -> {branch id: how many}
Counter = Callable[[list[int]], dict[int, int]]
# (branch code, how many) -> why that stops archiving
Refusal = Callable[[str, int], str]


@dataclass(frozen=True)
class BranchCount:
    """One figure shown for each branch. `refusal` says why archiving is refused
    while the figure is not 0; None when the figure does not stop archiving."""

    key: str
    label: str
    counter: Counter
    refusal: Refusal | None = None
    order: int = 50


def add_branch_count(
    app: Flask,
    key: str,
    label: str,
    counter: Counter,
    *,
    refusal: Refusal | None = None,
    order: int = 50,
) -> None:
    counts: list[BranchCount] = app.extensions.setdefault("candour_branch_counts", [])
    counts.append(BranchCount(key, label, counter, refusal, order))


def branch_counts() -> list[BranchCount]:
    counts: list[BranchCount] = current_app.extensions.get("candour_branch_counts", [])
    return sorted(counts, key=lambda c: c.order)


# Staff who work in a branch: its carers and supervisors. Its managers and office
# staff keep an archived branch on their accounts, to go on seeing its records.
FRONT_LINE = (Role.CARER.value, Role.SUPERVISOR.value)


def active_staff_by_branch(branch_ids: list[int]) -> dict[int, int]:
    """Active carers and supervisors of each branch."""
    rows = db.session.execute(
        db.select(user_branches.c.branch_id, func.count(User.id))
        .join(User, User.id == user_branches.c.user_id)
        .where(User.active.is_(True), User.role.in_(FRONT_LINE))
        .where(user_branches.c.branch_id.in_(branch_ids))
        .group_by(user_branches.c.branch_id)
    )
    return {branch_id: int(n) for branch_id, n in rows}


def people_supported_by_branch(branch_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        db.select(PersonSupported.branch_id, func.count(PersonSupported.id))
        .where(PersonSupported.active.is_(True), PersonSupported.branch_id.in_(branch_ids))
        .group_by(PersonSupported.branch_id)
    )
    return {branch_id: int(n) for branch_id, n in rows}


# --- reading --------------------------------------------------------------------------


def managed_branches(manager: User) -> list[Branch]:
    """The branches on a manager's account, archived ones last."""
    return sorted(manager.branches, key=lambda b: (b.archived, b.code))


def get_managed_branch(manager: User, branch_id: int) -> Branch:
    """One of the manager's branches, or OutOfScope (a 404)."""
    permissions.require_role(manager, MANAGING)
    branch = next((b for b in manager.branches if b.id == branch_id), None)
    if branch is None:
        raise OutOfScope(branch_id)
    return branch


def figures(branches: Iterable[Branch]) -> dict[int, dict[str, int]]:
    """{branch id: {count key: number}} for every registered count."""
    ids = [b.id for b in branches]
    found: dict[int, dict[str, int]] = {i: {} for i in ids}
    if not ids:
        return found
    for count in branch_counts():
        numbers = count.counter(ids)
        for branch_id in ids:
            found[branch_id][count.key] = numbers.get(branch_id, 0)
    return found


def open_branches(branches: Iterable[Branch]) -> list[Branch]:
    """Those of `branches` that are not archived: what forms offer."""
    return [b for b in branches if not b.archived]


# --- changing -------------------------------------------------------------------------


def normalise_code(code: str) -> str:
    """A code as typed, in capitals without spaces around it; BranchError when
    it is not one Candour keeps."""
    code = code.strip().upper()
    if not code or len(code) > CODE_MAX or not CODE_PATTERN.fullmatch(code):
        raise BranchError({"code": [CODE_RULE]})
    return code


def _normalise_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX:
        raise BranchError({"name": [NAME_RULE]})
    return name


def _taken(code: str) -> BranchError:
    # Said plainly even when the branch with that code is not one of the
    # manager's: a code is unique across the service. Nothing else about it is said.
    return BranchError(
        {"code": [f"There is already a branch with the code {code}. Choose another."]}
    )


def add_branch(manager: User, *, code: str, name: str) -> Branch:
    """A new branch, added to the manager's own branches so they manage it."""
    permissions.require_role(manager, MANAGING)
    code, name = normalise_code(code), _normalise_name(name)
    if db.session.scalar(db.select(Branch.id).where(Branch.code == code)) is not None:
        raise _taken(code)
    branch = Branch(code=code, name=name)
    db.session.add(branch)
    try:
        db.session.flush()
    except IntegrityError:  # the same code added at the same moment
        db.session.rollback()
        raise _taken(code) from None
    manager.branches.append(branch)
    trail.record(manager, "create", "branch", branch.id, code=code, name=name)
    trail.record(manager, "update", "user", manager.id, changes={"branches_added": [code]})
    db.session.commit()
    return branch


def rename_branch(manager: User, branch: Branch, *, name: str) -> Branch:
    permissions.require_role(manager, MANAGING)
    name = _normalise_name(name)
    if name != branch.name:
        trail.record(manager, "update", "branch", branch.id, changes={"name": [branch.name, name]})
        branch.name = name
        db.session.commit()
    return branch


def archive_refusals(branch: Branch) -> list[str]:
    """Why the branch cannot be archived now (empty when it can)."""
    reasons = []
    for count in branch_counts():
        if count.refusal is None:
            continue
        number = count.counter([branch.id]).get(branch.id, 0)
        if number:
            reasons.append(count.refusal(branch.code, number))
    return reasons


def archive_branch(manager: User, branch: Branch) -> Branch:
    """Archive a branch with no work left in it; BranchError with every reason
    otherwise (nothing changes)."""
    permissions.require_role(manager, MANAGING)
    if branch.archived:
        return branch
    reasons = archive_refusals(branch)
    if reasons:
        raise BranchError({"archive": reasons})
    branch.archived_at = utcnow()
    trail.record(manager, "archive", "branch", branch.id, code=branch.code)
    db.session.commit()
    return branch


def restore_branch(manager: User, branch: Branch) -> Branch:
    """Bring an archived branch back into use."""
    permissions.require_role(manager, MANAGING)
    if branch.archived:
        branch.archived_at = None
        trail.record(manager, "restore", "branch", branch.id, code=branch.code)
        db.session.commit()
    return branch


def _active_staff_refusal(code: str, number: int) -> str:
    staff = "1 carer or supervisor" if number == 1 else f"{number} carers and supervisors"
    return (
        f"{code} still has {staff} whose accounts are switched on. On the Staff page, "
        f"give them another branch instead of {code}, or switch their accounts off."
    )


def init_app(app: Flask) -> None:
    add_branch_count(
        app, "active_staff", "Active staff", active_staff_by_branch,
        refusal=_active_staff_refusal, order=20,
    )  # fmt: skip
    add_branch_count(app, "people", "People supported", people_supported_by_branch, order=30)
    navigation.add_menu_link(app, "Branches", "core.branch_list", MANAGING, order=92)
