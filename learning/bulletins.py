"""Learning bulletins: drafted from reviews with names taken out, sent to branches and
roles, read and confirmed by staff (also from a phone with no signal), and who has
read them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_
from sqlalchemy.exc import IntegrityError

from core import scoping, trail
from core.dates import utcnow
from core.errors import Invalid, NotAllowed, OutOfScope
from core.models import Branch, User, user_branches
from core.permissions import require_role
from extensions import db
from learning import anonymise
from learning.models import Acknowledgement, Bulletin, BulletinRole, bulletin_branches
from learning.permissions import MANAGERS, sees_readership
from learning.reviews import get_review


def visible_bulletins(user: User) -> Select[Any]:
    return scoping.scoped(db.select(Bulletin), user, Bulletin)


def get_bulletin(user: User, bulletin_id: int) -> Bulletin:
    return scoping.one_in_scope(visible_bulletins(user), Bulletin, bulletin_id)


def is_for(user: User, bulletin: Bulletin) -> bool:
    """Written for this member of staff (their branch and role)."""
    return bool(
        db.session.scalar(
            db.select(func.count(Bulletin.id)).where(
                Bulletin.id == bulletin.id, Bulletin.audience(user)
            )
        )
    )


def acknowledged_at(user: User, bulletin: Bulletin) -> datetime | None:
    at: datetime | None = db.session.scalar(
        db.select(Acknowledgement.at).where(
            Acknowledgement.bulletin_id == bulletin.id, Acknowledgement.user_id == user.id
        )
    )
    return at


@dataclass
class BulletinRow:
    bulletin: Bulletin
    read_at: datetime | None
    for_me: bool
    read_count: int = 0
    audience_count: int = 0


def list_bulletins(user: User) -> list[BulletinRow]:
    """Newest first; unread ones for the user first of all."""
    bulletins = list(
        db.session.scalars(visible_bulletins(user).order_by(Bulletin.published_at.desc()))
    )
    read = dict(
        db.session.execute(
            db.select(Acknowledgement.bulletin_id, Acknowledgement.at).where(
                Acknowledgement.user_id == user.id
            )
        ).all()
    )
    mine = set(db.session.scalars(db.select(Bulletin.id).where(Bulletin.audience(user))))
    rows = [BulletinRow(b, read.get(b.id), b.id in mine) for b in bulletins]
    if sees_readership(user):
        counts = read_counts(bulletins)
        for row in rows:
            row.read_count, row.audience_count = counts[row.bulletin.id]
    rows.sort(key=lambda r: (not (r.for_me and r.read_at is None),))
    return rows


def read_counts(
    bulletins: Sequence[Bulletin], branch_ids: Iterable[int] | None = None
) -> dict[int, tuple[int, int]]:
    """(read, sent to) for each bulletin, in one query however many there are;
    with `branch_ids`, only staff of those branches count (a manager of one
    branch sees their own staff's reading of a bulletin sent more widely).
    The audience is active staff of a bulletin's branches with one of its roles
    (any role when it names none), each counted once."""
    if not bulletins:
        return {}
    sent_to = bulletin_branches.c
    member = user_branches.c
    role_rows = db.select(BulletinRole.bulletin_id).where(
        BulletinRole.bulletin_id == sent_to.bulletin_id
    )
    audience = (
        db.select(sent_to.bulletin_id, User.id.label("user_id"))
        .distinct()
        .join(user_branches, member.branch_id == sent_to.branch_id)
        .join(User, User.id == member.user_id)
        .where(sent_to.bulletin_id.in_([b.id for b in bulletins]))
        .where(User.active.is_(True))
        .where(
            or_(
                ~role_rows.exists(),
                role_rows.where(BulletinRole.role == User.role).exists(),
            )
        )
    )
    if branch_ids is not None:
        audience = audience.where(sent_to.branch_id.in_(list(branch_ids)))
    who = audience.subquery()
    counts = dict.fromkeys((b.id for b in bulletins), (0, 0))
    for bulletin_id, read, total in db.session.execute(
        db.select(who.c.bulletin_id, func.count(Acknowledgement.id), func.count())
        .select_from(who)
        .outerjoin(
            Acknowledgement,
            and_(
                Acknowledgement.bulletin_id == who.c.bulletin_id,
                Acknowledgement.user_id == who.c.user_id,
            ),
        )
        .group_by(who.c.bulletin_id)
    ):
        counts[bulletin_id] = (read, total)
    return counts


def unread_bulletins(user: User) -> list[Bulletin]:
    acknowledged = db.select(Acknowledgement.bulletin_id).where(Acknowledgement.user_id == user.id)
    return list(
        db.session.scalars(
            db.select(Bulletin)
            .where(Bulletin.audience(user))
            .where(Bulletin.id.not_in(acknowledged))
            .order_by(Bulletin.published_at.desc())
        )
    )


@dataclass(frozen=True)
class Reader:
    user: User
    read_at: datetime | None


def audience_members(bulletin: Bulletin) -> list[User]:
    branch_ids = [b.id for b in bulletin.branches]
    stmt = (
        db.select(User)
        .where(User.active.is_(True))
        .where(User.branches.any(Branch.id.in_(branch_ids)))
        .order_by(User.name)
    )
    if bulletin.roles:
        stmt = stmt.where(User.role.in_(bulletin.roles))
    return list(db.session.scalars(stmt))


def readership(bulletin: Bulletin) -> list[Reader]:
    """Everyone the bulletin was sent to, and when each confirmed reading it."""
    read = dict(
        db.session.execute(
            db.select(Acknowledgement.user_id, Acknowledgement.at).where(
                Acknowledgement.bulletin_id == bulletin.id
            )
        ).all()
    )
    return [Reader(u, read.get(u.id)) for u in audience_members(bulletin)]


def bulletin_draft(user: User, review_ids: Sequence[int]) -> dict[str, Any]:
    """A bulletin prefilled from reviews, with names and references taken out."""
    reviews = [get_review(user, r) for r in review_ids]
    ids = anonymise.known_identifiers()

    def join(parts: Iterable[str]) -> str:
        return "\n\n".join(anonymise.scrub(p.strip(), ids) for p in parts if p and p.strip())

    branch_ids = sorted({i.branch_id for r in reviews for i in r.incidents})
    return {
        "title": anonymise.scrub(reviews[0].title, ids) if len(reviews) == 1 else "",
        "what_happened": join(r.what_happened for r in reviews),
        "what_learned": join(r.lessons for r in reviews),
        "what_changes": join(r.changes for r in reviews),
        "branch_ids": branch_ids,
        "roles": [],
        "review_ids": [r.id for r in reviews],
    }


BULLETIN_TEXT_FIELDS = (
    ("title", "Title"),
    ("what_happened", "What happened"),
    ("what_learned", "What we learned"),
    ("what_changes", "What changes for staff"),
)


def bulletin_suspects(data: dict[str, Any]) -> dict[str, list[str]]:
    """What in each text field still looks identifying (fields with none left out)."""
    ids = anonymise.known_identifiers()
    found = {
        name: anonymise.identifiers_in(data.get(name) or "", ids)
        for name, _ in BULLETIN_TEXT_FIELDS
    }
    return {name: items for name, items in found.items() if items}


def bulletin_fingerprint(data: dict[str, Any]) -> str:
    return anonymise.fingerprint(*((data.get(name) or "") for name, _ in BULLETIN_TEXT_FIELDS))


def bulletin_review(data: dict[str, Any]) -> dict[str, Any] | None:
    """The review page's content: each text field with its suspected items
    highlighted, and the fingerprint "Send it as it is" confirms. None when
    nothing is suspected."""
    ids = anonymise.known_identifiers()
    fields = [
        {"name": name, "label": label, "segments": anonymise.segments(data.get(name) or "", ids)}
        for name, label in BULLETIN_TEXT_FIELDS
    ]
    if not any(label for f in fields for _, label in f["segments"]):
        return None
    return {"fields": fields, "fingerprint": bulletin_fingerprint(data)}


def new_bulletin(user: User, data: dict[str, Any]) -> Bulletin:
    """Publish a bulletin to staff of the chosen branches (and roles). Text that
    still looks identifying is refused (bulletins go to every carer) unless
    `data["checked"]` is the fingerprint of this very text: the manager saw each
    item highlighted and confirmed it identifies nobody."""
    require_role(user, MANAGERS)
    errors: dict[str, list[str]] = {}
    mine = {b.id: b for b in scoping.branches_for(user)}
    chosen = [mine[i] for i in dict.fromkeys(data["branch_ids"]) if i in mine]
    if len(chosen) != len(set(data["branch_ids"])) or not chosen:
        errors["branch_ids"] = ["Choose branches from the list."]
    reviews = []
    for review_id in dict.fromkeys(data.get("review_ids") or []):
        try:
            reviews.append(get_review(user, review_id))
        except OutOfScope:
            errors["review_ids"] = ["Choose reviews from the list."]
    suspects = bulletin_suspects(data)
    if suspects and data.get("checked") != bulletin_fingerprint(data):
        for name, found in suspects.items():
            errors[name] = [
                "Check the highlighted details before sending: "
                + ", ".join(f"“{f}”" for f in found)
                + ". Take them out, or send it as it is if they identify nobody."
            ]
    if errors:
        raise Invalid(errors)
    bulletin = Bulletin(
        title=data["title"].strip(),
        what_happened=data["what_happened"].strip(),
        what_learned=data["what_learned"].strip(),
        what_changes=data["what_changes"].strip(),
        author_id=user.id,
        branches=chosen,
        role_rows=[BulletinRole(role=r) for r in dict.fromkeys(data.get("roles") or [])],
        reviews=reviews,
    )
    db.session.add(bulletin)
    db.session.flush()
    trail.record(
        user,
        "create",
        "bulletin",
        bulletin.id,
        branches=[b.code for b in chosen],
        roles=bulletin.roles,
        reviews=[r.id for r in reviews],
        checked_items=sum(len(found) for found in suspects.values()),
    )
    db.session.commit()
    return bulletin


def acknowledge(user: User, bulletin: Bulletin) -> Acknowledgement:
    """The reader confirms they have read and understood it. Saying so twice is
    the same as once."""
    return record_acknowledgement(user, bulletin)[0]


def record_acknowledgement(
    user: User, bulletin: Bulletin, read_at: datetime | None = None
) -> tuple[Acknowledgement, bool]:
    """As `acknowledge`, also for a confirmation made on a phone with no signal and
    sent later: `read_at` is when it was tapped, on the phone's clock, kept within
    [published, now] so a wrong clock cannot put it outside what is possible.
    Returns the acknowledgement and whether it is new."""
    if not is_for(user, bulletin):
        raise NotAllowed()
    existing = _acknowledgement(user, bulletin)
    if existing is not None:
        return existing, False
    now = utcnow()
    at = min(max(read_at or now, bulletin.published_at), now)
    ack = Acknowledgement(bulletin_id=bulletin.id, user_id=user.id, at=at)
    db.session.add(ack)
    trail.record(user, "acknowledge", "bulletin", bulletin.id, read_at=at.isoformat())
    try:
        db.session.commit()
    except IntegrityError:
        # The same confirmation arrived twice at once (the page and the outbox):
        # the other one was kept, which is the same thing.
        db.session.rollback()
        kept = _acknowledgement(user, bulletin)
        if kept is None:
            raise
        return kept, False
    return ack, True


def _acknowledgement(user: User, bulletin: Bulletin) -> Acknowledgement | None:
    found: Acknowledgement | None = db.session.scalar(
        db.select(Acknowledgement).where(
            Acknowledgement.bulletin_id == bulletin.id, Acknowledgement.user_id == user.id
        )
    )
    return found
