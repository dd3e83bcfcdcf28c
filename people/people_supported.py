"""The people supported: finding, adding, correcting, moving between branches,
archiving and bringing back. No request objects here.

Candour keeps a reference and initials for each person, never a name or an
address. A reference is unique across the whole service. Archiving keeps the
record (every incident and spot check still points to it); it only stops forms
and the phone's reference list offering the person (core.scoping.people_for). A
report a carer wrote offline before the person was archived is still accepted
when it arrives (core.scoping.person_by_ref finds archived people too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_
from sqlalchemy.exc import IntegrityError

from core import pagination, permissions, scoping, trail
from core.dates import utcnow
from core.errors import Invalid
from core.models import Branch, PersonSupported, User
from extensions import db
from people.permissions import KEEPING_THE_LIST

PAGE_SIZE = 50
REF_MAX = 20
INITIALS_MAX = 6
NOTE_MAX = 200
REF_PATTERN = re.compile(r"[A-Z0-9](?:[A-Z0-9-]*[A-Z0-9])?")
REF_RULE = (
    f"Enter a reference of up to {REF_MAX} capital letters, digits and hyphens, such as P-0021."
)
INITIALS_RULE = f"Enter initials only: 1 to {INITIALS_MAX} letters, such as JS. Never a name."
BRANCH_RULE = "Choose one of your branches."
SAME_BRANCH = "They are already in this branch. Choose another of your branches."

# Why care ended (the value kept, what the page says).
ARCHIVE_REASONS = {
    "ended_care": "Care ended",
    "moved_away": "Moved away",
    "died": "Died",
    "other": "Other",
}
NOTE_NEEDED = "Say in a few words why (no names)."


class PersonError(Invalid, ValueError):
    """A rule about the people supported was broken; the message says which."""


def _require(user: User) -> None:
    permissions.require_role(user, KEEPING_THE_LIST)


# --- finding ------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    people: list[PersonSupported]
    next_cursor: str | None
    archived: bool


def _visible(user: User) -> Select[Any]:
    visible: Select[Any] = (
        db.select(PersonSupported)
        .join(PersonSupported.branch)
        .where(scoping.branch_scope(user, PersonSupported.branch_id))
    )
    return visible


def search(
    user: User, text: str = "", *, archived: bool = False, cursor: str | None = None
) -> Found:
    """The people of the user's branches, A to Z by reference, a page at a time:
    those in care (or, with `archived`, those archived) whose reference contains
    `text` or whose initials are `text`. A bad cursor is core.errors.Invalid."""
    _require(user)
    stmt = _visible(user).where(PersonSupported.active.is_(not archived))
    wanted = text.strip().upper()
    if wanted:
        escaped = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(
            or_(
                func.upper(PersonSupported.ref).like(f"%{escaped}%", escape="\\"),
                func.upper(PersonSupported.initials) == wanted,
            )
        )
    people, after = pagination.in_order_of(stmt, PersonSupported.ref, PAGE_SIZE, cursor)
    return Found(people, after, archived)


def archived_count(user: User) -> int:
    _require(user)
    return int(
        db.session.scalar(
            db.select(func.count(PersonSupported.id)).where(
                PersonSupported.active.is_(False),
                scoping.branch_scope(user, PersonSupported.branch_id),
            )
        )
        or 0
    )


def get_person(user: User, person_id: int) -> PersonSupported:
    """A person of the user's branches, or OutOfScope (a 404)."""
    _require(user)
    return scoping.one_in_scope(_visible(user), PersonSupported, person_id)


def branch_choices(user: User) -> list[Branch]:
    """Where the user may put someone: their branches that are not archived."""
    return scoping.branch_choices(user)


# --- rules for what is typed ----------------------------------------------------------


def normalise_ref(ref: str) -> str:
    ref = ref.strip().upper()
    if not ref or len(ref) > REF_MAX or not REF_PATTERN.fullmatch(ref):
        raise PersonError({"ref": [REF_RULE]})
    return ref


def normalise_initials(initials: str) -> str:
    initials = "".join(initials.split()).replace(".", "").upper()
    if not initials or len(initials) > INITIALS_MAX or not initials.isalpha():
        raise PersonError({"initials": [INITIALS_RULE]})
    return initials


def _ref_taken(ref: str) -> PersonError:
    # The same answer wherever the clash is, in a branch the user can see or
    # not: it says the reference is used and nothing about whom it is for.
    return PersonError(
        {
            "ref": [
                f"The reference {ref} is already used by someone the service supports. "
                "Each person needs their own: check it, or choose another."
            ]
        }
    )


def _branch_among_choices(user: User, branch_id: int, field: str = "branch_id") -> Branch:
    branch = next((b for b in branch_choices(user) if b.id == branch_id), None)
    if branch is None:
        raise PersonError({field: [BRANCH_RULE]})
    return branch


# --- changing ---------------------------------------------------------------------------


def add_person(user: User, *, ref: str, initials: str, branch_id: int) -> PersonSupported:
    _require(user)
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    for field, rule, raw in (
        ("ref", normalise_ref, ref),
        ("initials", normalise_initials, initials),
    ):
        try:
            values[field] = rule(raw)
        except PersonError as err:
            errors.update(err.errors)
    try:
        branch = _branch_among_choices(user, branch_id)
    except PersonError as err:
        errors.update(err.errors)
    if errors:
        raise PersonError(errors)
    ref = values["ref"]
    used = db.select(PersonSupported.id).where(func.upper(PersonSupported.ref) == ref)
    if db.session.scalar(used) is not None:
        raise _ref_taken(ref)
    person = PersonSupported(ref=ref, initials=values["initials"], branch_id=branch.id)
    db.session.add(person)
    try:
        db.session.flush()
    except IntegrityError:  # the same reference added at the same moment
        db.session.rollback()
        raise _ref_taken(ref) from None
    trail.record(user, "create", "person_supported", person.id, ref=ref, branch=branch.code)
    db.session.commit()
    return person


def edit_initials(user: User, person: PersonSupported, *, initials: str) -> PersonSupported:
    _require(user)
    initials = normalise_initials(initials)
    if initials != person.initials:
        trail.record(
            user,
            "update",
            "person_supported",
            person.id,
            changes={"initials": [person.initials, initials]},
        )
        person.initials = initials
        db.session.commit()
    return person


def move_person(user: User, person: PersonSupported, *, branch_id: int) -> PersonSupported:
    """To another of the user's branches. Records already made about them stay
    in the branch they were made in."""
    _require(user)
    branch = _branch_among_choices(user, branch_id)
    if branch.id == person.branch_id:
        raise PersonError({"branch_id": [SAME_BRANCH]})
    trail.record(
        user,
        "move",
        "person_supported",
        person.id,
        changes={"branch": [person.branch.code, branch.code]},
    )
    person.branch_id = branch.id
    db.session.commit()
    db.session.refresh(person)
    return person


def archive_person(
    user: User, person: PersonSupported, *, reason: str, note: str | None = None
) -> PersonSupported:
    _require(user)
    if reason not in ARCHIVE_REASONS:
        raise PersonError({"reason": ["Choose why their care with you ended."]})
    note = " ".join((note or "").split()) or None
    if reason == "other" and not note:
        raise PersonError({"note": [NOTE_NEEDED]})
    if note is not None and len(note) > NOTE_MAX:
        raise PersonError({"note": [f"Keep the note to {NOTE_MAX} characters."]})
    if not person.active:
        return person
    person.active = False
    person.archived_at = utcnow()
    person.archive_reason = reason
    person.archive_note = note
    trail.record(user, "archive", "person_supported", person.id, reason=reason, note=note)
    db.session.commit()
    return person


def restore_person(user: User, person: PersonSupported) -> PersonSupported:
    """Back in care: offered in forms again (if their branch is not archived)."""
    _require(user)
    if person.active:
        return person
    trail.record(
        user,
        "restore",
        "person_supported",
        person.id,
        was={"reason": person.archive_reason, "note": person.archive_note},
    )
    person.active = True
    person.archived_at = None
    person.archive_reason = None
    person.archive_note = None
    db.session.commit()
    return person
