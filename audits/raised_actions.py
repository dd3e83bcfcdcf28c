"""The actions spot checks raise (a failed critical item at once, another failed item
on request) and the re-audits that check them."""

from __future__ import annotations

from datetime import date, timedelta

from actions import queries
from actions.models import Action, ActionSource, ActionStatus
from audits.models import Audit, AuditTemplate, AuditTemplateItem
from audits.permissions import CONDUCTING_ROLES
from audits.results import visible_audits
from core import scoping, trail
from core.dates import UK, utcnow
from core.errors import Invalid, OutOfScope
from core.models import Branch, PersonSupported, Role, User
from core.permissions import require_role
from extensions import db

ACTION_DUE_DAYS = 7


def default_action_owner(branch: Branch, fallback: User) -> User:
    """A registered manager of the branch (the supervisor's manager)."""
    manager: User | None = db.session.scalar(
        db.select(User)
        .where(User.role == Role.MANAGER.value, User.active.is_(True))
        .where(User.branches.any(Branch.id == branch.id))
        .order_by(User.name, User.id)
        .limit(1)
    )
    return manager or fallback


def _new_action(
    author: User,
    audit: Audit,
    template: AuditTemplate,
    observed: User,
    branch: Branch,
    person: PersonSupported | None,
    item: AuditTemplateItem,
    note: str,
    owner: User | None = None,
    due: date | None = None,
) -> Action:
    today = utcnow().astimezone(UK).date()
    where = f" with {person.ref}" if person is not None else ""
    detail = (
        f"Found at a {template.title.lower()} observing {observed.name}{where} on "
        f"{audit.conducted_at.astimezone(UK):%d %b %Y}."
    )
    if note:
        detail += f" What was seen: {note}"
    action = Action(
        title=f"Not met: {item.text}"[:200],
        detail=detail,
        status=ActionStatus.OPEN.value,
        due=due or today + timedelta(days=ACTION_DUE_DAYS),
        branch_id=branch.id,
        owner_id=(owner or default_action_owner(branch, author)).id,
        author_id=author.id,
        source_type=ActionSource.AUDIT.value,
        source_id=audit.id,
        source_item=item.key,
        # A failed standard is only closed when a later check shows it is fixed.
        requires_verification=True,
    )
    db.session.add(action)
    return action


def reaudits_of(user: User, action: Action) -> list[Audit]:
    """The re-audits that checked an action, newest first (for the action's page)."""
    return list(
        db.session.scalars(
            visible_audits(user)
            .where(Audit.reaudit_of_action_id == action.id)
            .order_by(Audit.conducted_at.desc())
        )
    )


def action_in_scope(user: User, action_id: int) -> Action:
    return queries.get_action(user, action_id)


def source_audit(user: User, action: Action) -> Audit | None:
    """The audit an action came from, if it came from one the user may see."""
    if action.source_type != ActionSource.AUDIT.value:
        return None
    audit: Audit | None = db.session.scalar(
        visible_audits(user).where(Audit.id == action.source_id)
    )
    return audit


def raise_action_for_item(
    user: User, audit: Audit, key: str, owner_id: int | None = None, due: date | None = None
) -> Action:
    """An action for a failed item that is not critical, when the supervisor wants one."""
    require_role(user, CONDUCTING_ROLES)
    answer = audit.answer_for(key)
    if answer is None:
        raise OutOfScope(key)
    if not answer.failed:
        raise Invalid({"item": ["Only an item that was not met can raise an action."]})
    if any(a.source_item == key for a in audit.raised_actions):
        raise Invalid({"item": ["An action has already been raised for this item."]})
    owner = None
    if owner_id is not None:
        owner = next((u for u in scoping.staff_for(user) if u.id == owner_id and u.active), None)
        if owner is None:
            raise Invalid({"owner_id": ["Choose an owner from your team."]})
    today = utcnow().astimezone(UK).date()
    if due is not None and due < today:
        raise Invalid({"due": ["The due date cannot be in the past."]})
    action = _new_action(
        user,
        audit,
        audit.template,
        audit.observed,
        audit.branch,
        audit.person,
        answer.item,
        answer.note,
        owner,
        due,
    )
    db.session.flush()
    trail.record(user, "create", "action", action.id, source="audit", audit=audit.id, item=key)
    db.session.commit()
    db.session.expire(audit, ["raised_actions"])
    return action
