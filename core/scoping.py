"""Who may see which records. Every query for records goes through here.

- carer: only what they reported or made themselves;
- supervisor, manager and office: records of the branches on their account (all
  of them only when the account is given every branch); office staff read and add
  administrative detail, never clinical decisions (services enforce that);
- anything that may be safeguarding: its reporter and the branch's managers only
  (the record's model narrows its scope with `extra_scope`).

A record outside the caller's scope is answered with 404, never 403, so its
existence is not revealed.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol, TypeVar, cast

from flask import abort
from sqlalchemy import ColumnElement, Select, false
from sqlalchemy.orm import InstrumentedAttribute, contains_eager

from core.errors import Invalid, OutOfScope
from core.models import Branch, PersonSupported, Role, Team, User
from extensions import db


class ScopedRecord(Protocol):
    """A record owned by a branch and made by one member of staff."""

    branch_id: Any
    author_id: Any


M = TypeVar("M")


def branch_scope(user: User, branch_column: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
    """The branches on a user's account, whatever their role."""
    ids = user.branch_ids
    return branch_column.in_(ids) if ids else false()


def record_scope(user: User, model: Any) -> ColumnElement[bool]:
    """The condition a scoped record must meet for `user` to see it."""
    if user.role == Role.CARER:
        # A model may widen what a carer sees (actions they own, audits of their
        # own practice); by default it is what they made.
        carer_scope = getattr(model, "carer_scope", None)
        if carer_scope is not None:
            return cast(ColumnElement[bool], carer_scope(user))
        return cast(ColumnElement[bool], model.author_id == user.id)
    # A model shared by several branches (a bulletin) says how branches apply.
    staff_scope = getattr(model, "staff_scope", None)
    if staff_scope is not None:
        condition = cast(ColumnElement[bool], staff_scope(user))
    else:
        condition = branch_scope(user, model.branch_id)
    extra = getattr(model, "extra_scope", None)
    if extra is not None:
        # A model may narrow its scope further (safeguarding records, for one).
        condition = condition & extra(user)
    return condition


def scoped(stmt: Select[Any], user: User, model: Any) -> Select[Any]:
    return stmt.where(record_scope(user, model))


def one_in_scope(visible: Select[Any], model: type[M], record_id: object) -> M:
    """The record with this id among `visible` (a query already scoped to the
    caller, like scoped() makes), or OutOfScope: outside the scope it is as if
    it did not exist."""
    condition = model.id == record_id  # type: ignore[attr-defined]
    return cast(M, _one(visible, condition, record_id))


def one_by_uuid_in_scope(visible: Select[Any], model: type[M], record_id: object) -> M:
    """As one_in_scope, for records whose id is a UUID made on the device: an id
    that is not a UUID is out of scope too, without asking the database."""
    try:
        key = str(uuid.UUID(str(record_id)))
    except ValueError:
        raise OutOfScope(record_id) from None
    condition = model.id == key  # type: ignore[attr-defined]
    return cast(M, _one(visible, condition, record_id))


def _one(visible: Select[Any], condition: ColumnElement[bool], record_id: object) -> Any:
    found = db.session.scalar(visible.where(condition))
    if found is None:
        raise OutOfScope(record_id)
    return found


def get_or_404(user: User, model: type[M], record_id: object) -> M:
    """Load one record within scope, or answer 404."""
    obj = db.session.scalar(
        db.select(model).where(model.id == record_id).where(record_scope(user, model))  # type: ignore[attr-defined]
    )
    if obj is None:
        abort(404)
    return cast(M, obj)


def holds_every_branch(user: User) -> bool:
    """Whether `user`'s branches are all the organisation's branches (what an
    organisation-wide change, or an account with no branch, needs)."""
    ids = user.branch_ids
    if not ids:
        return False
    missing = db.select(Branch.id).where(Branch.id.not_in(ids)).exists()
    return not db.session.scalar(db.select(missing))


def all_branches_among(user: User, branches: Any) -> ColumnElement[bool]:
    """The condition that a record's `branches` (a many-to-many relationship)
    are all among `user`'s and are not none: what a meeting of several branches,
    or an account, needs before someone of fewer branches may have it."""
    ids = user.branch_ids
    if not ids:
        return false()
    return cast(ColumnElement[bool], branches.any() & ~branches.any(~Branch.id.in_(ids)))


def branches_for(user: User) -> list[Branch]:
    """Every branch on the user's account, archived ones too (their records stay
    visible); forms offer `branch_choices`."""
    stmt = db.select(Branch).where(branch_scope(user, Branch.id)).order_by(Branch.code)
    return list(db.session.scalars(stmt))


def branch_choices(user: User) -> list[Branch]:
    """The user's branches a form may offer: those not archived."""
    return [b for b in branches_for(user) if b.archived_at is None]


def teams_for(user: User) -> list[Team]:
    """Teams of the branches a user works across, switched-off ones
    too, since incidents keep the team their reporter was in at the time."""
    stmt = (
        db.select(Team)
        .join(Team.branch)
        .options(contains_eager(Team.branch))
        .where(branch_scope(user, Team.branch_id))
        .order_by(Branch.code, Team.active.desc(), Team.name, Team.id)
    )
    return list(db.session.scalars(stmt))


def people_for(user: User) -> list[PersonSupported]:
    """People a user may record against: those of their branches, neither they
    nor their branch archived (what forms and the phone's reference list offer)."""
    stmt = (
        db.select(PersonSupported)
        .join(PersonSupported.branch)
        .options(contains_eager(PersonSupported.branch))
        .where(PersonSupported.active.is_(True), Branch.archived_at.is_(None))
        .where(branch_scope(user, PersonSupported.branch_id))
        .order_by(PersonSupported.ref)
    )
    return list(db.session.scalars(stmt))


def people_on_record(user: User) -> list[PersonSupported]:
    """Everyone of the user's branches, archived too: what a filter of records
    offers (incidents about someone stay findable after they are archived)."""
    stmt = (
        db.select(PersonSupported)
        .where(branch_scope(user, PersonSupported.branch_id))
        .order_by(PersonSupported.active.desc(), PersonSupported.ref)
    )
    return list(db.session.scalars(stmt))


def person_by_ref(user: User, ref: str) -> PersonSupported | None:
    """A person within scope by reference code, or None (out of scope or unknown).
    Archived people are found too: a report a carer wrote offline before the
    person was archived is still accepted (nothing a carer saved is lost)."""
    person: PersonSupported | None = db.session.scalar(
        db.select(PersonSupported)
        .where(PersonSupported.ref == ref)
        .where(branch_scope(user, PersonSupported.branch_id))
    )
    return person


def where_entry_belongs(
    author: User, person_ref: str | None, branch_code: str | None
) -> tuple[Branch | None, PersonSupported | None]:
    """The branch an entry from a phone is filed in, as far as the entry says: the
    person's branch when it names a person (OutOfScope when that person is not in
    the author's branches), else the branch it names (Invalid unless it is one of
    the author's); (None, None) when it names neither, for the caller's own rule."""
    if person_ref:
        person = person_by_ref(author, person_ref)
        if person is None:
            raise OutOfScope(person_ref)
        return person.branch, person
    if branch_code:
        chosen = [b for b in branches_for(author) if b.code == branch_code]
        if not chosen:
            raise Invalid({"branch": ["Choose one of your branches."]})
        return chosen[0], None
    return None, None


def staff_for(user: User) -> list[User]:
    """Colleagues who share a branch with `user`."""
    ids = user.branch_ids
    if not ids:
        return [user]
    stmt = (
        db.select(User)
        .where(User.active.is_(True), User.branches.any(Branch.id.in_(ids)))
        .order_by(User.name)
    )
    return list(db.session.scalars(stmt))
