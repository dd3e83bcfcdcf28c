"""Finding spot checks within the caller's scope: one, the results list with its
filters, the sync API's pages, and feedback the colleague observed has still to
read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func

from audits.models import Audit, AuditTemplate
from core import pagination, scoping, trail
from core.dates import uk_midnight, utcnow
from core.errors import NotAllowed
from core.models import Branch, User
from extensions import db


def visible_audits(user: User) -> Select[Any]:
    return scoping.scoped(db.select(Audit), user, Audit)


def get_audit(user: User, audit_id: str) -> Audit:
    return scoping.one_by_uuid_in_scope(visible_audits(user), Audit, audit_id)


def page_of_audits(user: User, limit: int, cursor: str | None) -> tuple[list[Audit], str | None]:
    """Newest first (by when the server received them), keyset-paginated."""
    return pagination.newest_received(
        visible_audits(user), Audit.received_at, Audit.id, limit, cursor
    )


@dataclass(frozen=True)
class AuditFilters:
    template: str | None = None
    branch: str | None = None
    observed: int | None = None
    outcome: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def filtered_audits(
    user: User, filters: AuditFilters, limit: int = 50, offset: int = 0
) -> tuple[list[Audit], int]:
    """The results list: newest check first, with the filters applied."""
    stmt = visible_audits(user)
    if filters.template:
        stmt = stmt.join(AuditTemplate, Audit.template_id == AuditTemplate.id).where(
            AuditTemplate.slug == filters.template
        )
    if filters.branch:
        stmt = stmt.where(Audit.branch.has(Branch.code == filters.branch))
    if filters.observed is not None:
        stmt = stmt.where(Audit.observed_user_id == filters.observed)
    if filters.outcome:
        stmt = stmt.where(Audit.outcome == filters.outcome)
    if filters.date_from:
        stmt = stmt.where(Audit.conducted_at >= uk_midnight(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(Audit.conducted_at < uk_midnight(filters.date_to + timedelta(days=1)))
    total = db.session.scalar(db.select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(
        stmt.order_by(Audit.conducted_at.desc(), Audit.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


def unacknowledged_for(user: User) -> list[Audit]:
    """Feedback from spot checks of this person's practice not yet read."""
    return list(
        db.session.scalars(
            db.select(Audit)
            .where(Audit.observed_user_id == user.id, Audit.acknowledged_at.is_(None))
            .order_by(Audit.conducted_at.desc())
        )
    )


def acknowledge_feedback(user: User, audit: Audit) -> None:
    """The carer observed confirms they have read the feedback."""
    if audit.observed_user_id != user.id:
        raise NotAllowed()
    if audit.acknowledged_at is None:
        audit.acknowledged_at = utcnow()
        trail.record(user, "acknowledge", "audit", audit.id)
        db.session.commit()
