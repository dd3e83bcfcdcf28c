"""Team debriefs and supervisions recorded about a bulletin."""

from __future__ import annotations

from datetime import date
from typing import Any

from actions.permissions import ACTION_ROLES
from core import scoping, trail
from core.dates import uk_today
from core.errors import Invalid
from core.models import Branch, User
from core.permissions import require_role
from extensions import db
from learning.models import BriefingNote, BriefingNoteKind, Bulletin


def notes_about(user: User, bulletin: Bulletin) -> list[BriefingNote]:
    return list(
        db.session.scalars(
            scoping.scoped(db.select(BriefingNote), user, BriefingNote)
            .where(BriefingNote.bulletin_id == bulletin.id)
            .order_by(BriefingNote.held_on.desc(), BriefingNote.id.desc())
        )
    )


def add_briefing_note(
    user: User, data: dict[str, Any], bulletin: Bulletin | None = None, today: date | None = None
) -> BriefingNote:
    require_role(user, ACTION_ROLES)
    today = today or uk_today()
    errors: dict[str, list[str]] = {}
    mine = {b.id for b in scoping.branches_for(user)}
    if data["branch_id"] not in mine:
        errors["branch_id"] = ["Choose one of your branches."]
    elif bulletin is not None and data["branch_id"] not in {b.id for b in bulletin.branches}:
        errors["branch_id"] = ["Choose a branch the bulletin was sent to."]
    if data["held_on"] > today:
        errors["held_on"] = ["The date cannot be in the future."]
    staff = {u.id: u for u in scoping.staff_for(user) if data["branch_id"] in u.branch_ids}
    attendees = [staff[i] for i in dict.fromkeys(data["attendee_ids"]) if i in staff]
    if len(attendees) != len(set(data["attendee_ids"])):
        errors["attendee_ids"] = ["Choose staff of that branch from the list."]
    if errors:
        raise Invalid(errors)
    note = BriefingNote(
        kind=BriefingNoteKind(data["kind"]).value,
        held_on=data["held_on"],
        branch_id=data["branch_id"],
        author_id=user.id,
        bulletin_id=bulletin.id if bulletin is not None else None,
        note=data["note"].strip(),
        attendees=attendees,
    )
    db.session.add(note)
    db.session.flush()
    trail.record(
        user,
        "create",
        "briefing_note",
        note.id,
        kind=note.kind,
        bulletin_id=note.bulletin_id,
        attendees=[u.id for u in attendees],
    )
    db.session.commit()
    return note


def note_branches(user: User, bulletin: Bulletin) -> list[Branch]:
    """The user's branches the bulletin was sent to: where a note about it can be from."""
    return [b for b in scoping.branches_for(user) if b in bulletin.branches]


def note_staff(user: User, bulletin: Bulletin) -> list[User]:
    """Staff the user can see in a branch the bulletin was sent to: who can be
    noted as there."""
    sent_to = {b.id for b in bulletin.branches}
    return [u for u in scoping.staff_for(user) if set(u.branch_ids) & sent_to]
