"""One service for the imports page and the import commands: read the file,
plan every row (add, update, unchanged or error), and write the plan only when
no row has an error, all in one transaction with its audit trail."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from core import trail
from core.errors import NotAllowed
from core.invitation_batches import invite_new_accounts
from core.models import User
from extensions import db
from imports import people, staff
from imports.permissions import may_import
from imports.plans import Plan
from imports.reading import read_rows
from imports.schemas import PEOPLE_COLUMNS, STAFF_COLUMNS
from imports.scope import Branches

COLUMNS = {"people": PEOPLE_COLUMNS, "staff": STAFF_COLUMNS}


class PlanChanged(Exception):
    """The records changed since the preview: planning again gives a different
    plan, so nothing was written; `plan` is the new one to preview."""

    def __init__(self, plan: Plan):
        super().__init__(plan.kind)
        self.plan = plan


@dataclass
class Result:
    import_id: str
    plan: Plan
    # (email, link path) of each new account's invitation, to pass on once.
    invitations: list[tuple[str, str]] = field(default_factory=list)


def _check(kind: str, importer: User | None) -> None:
    if kind not in COLUMNS or (importer is not None and not may_import(importer, kind)):
        raise NotAllowed()


def preview(kind: str, data: bytes, importer: User | None) -> Plan:
    """What importing `data` would do. Raises ImportFileError for a file that
    cannot be read, NotAllowed for an importer who may not import `kind`."""
    _check(kind, importer)
    lines = read_rows(data, COLUMNS[kind])
    branches = Branches(importer)
    if kind == "people":
        return people.plan(lines, branches)
    return staff.plan(lines, branches, importer)


def run(
    kind: str,
    data: bytes,
    importer: User | None,
    *,
    source: str,
    expected: str | None = None,
) -> Result:
    """Import `data` when every row is good (else write nothing and return the
    plan with its errors). `expected`: the digest of the plan previewed, which
    must still be the plan (else PlanChanged). `source` names the file on the
    trail."""
    plan = preview(kind, data, importer)
    import_id = secrets.token_hex(8)
    result = Result(import_id, plan)
    if expected is not None and plan.digest() != expected:
        db.session.rollback()
        raise PlanChanged(plan)
    if not plan.ok:
        db.session.rollback()
        return result
    branches = Branches(importer)
    try:
        if kind == "people":
            people.apply(plan, branches, importer, import_id)
        else:
            result.invitations = _invite(staff.apply(plan, branches, importer, import_id), importer)
        trail.record(
            importer,
            "import",
            f"{kind}_import",
            import_id,
            file=source[:200],
            via="command" if importer is None else "page",
            **plan.counts,
        )
        db.session.commit()
    except IntegrityError:  # someone added the same reference or email meanwhile
        db.session.rollback()
        raise PlanChanged(preview(kind, data, importer)) from None
    return result


def _invite(users: list[User], importer: User | None) -> list[tuple[str, str]]:
    """Each new account's invitation to choose its own password (in this
    transaction: an import that fails issues none)."""
    links = invite_new_accounts(users, issued_by=importer)
    return [(user.email, links[user.id]) for user in users]
