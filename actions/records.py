"""Raising an action and marking it done, with the trail."""

from __future__ import annotations

from datetime import date
from typing import Any

from actions.models import Action, ActionStatus
from actions.permissions import ACTION_ROLES
from actions.sources import SourceInfo, resolve_source
from core import scoping, trail
from core.dates import uk_today, utcnow
from core.errors import Invalid, NotAllowed, OutOfScope
from core.models import User
from core.permissions import require_role
from core.saving import check_version, commit
from extensions import db


def owners_for(user: User, branch_id: int) -> list[User]:
    """Who can own an action of a branch: active staff of that branch the caller
    works with."""
    return [u for u in scoping.staff_for(user) if branch_id in u.branch_ids]


def new_action(user: User, data: dict[str, Any], today: date | None = None) -> Action:
    require_role(user, ACTION_ROLES)
    today = today or uk_today()
    errors: dict[str, list[str]] = {}
    try:
        source = resolve_source(user, data["source_type"], data["source_id"])
    except OutOfScope:
        raise Invalid({"source_id": ["That record is not one you can raise actions on."]}) from None

    branch_id = _action_branch(user, source, data.get("branch_id"))
    owner = None
    if branch_id is None:
        errors["branch_id"] = ["Choose which branch this action is for."]
    else:
        owner = next((u for u in owners_for(user, branch_id) if u.id == data["owner_id"]), None)
        if owner is None:
            errors["owner_id"] = ["Choose an owner who works in this branch."]
    if data["due"] < today:
        errors["due"] = ["The due date cannot be in the past."]

    trend_person_id = None
    if data.get("verification") == "trend" and data.get("trend_person_ref"):
        person = scoping.person_by_ref(user, data["trend_person_ref"])
        if person is None:
            errors["trend_person_ref"] = ["Choose a person you support, or leave this blank."]
        else:
            trend_person_id = person.id
    if errors:
        raise Invalid(errors)
    assert branch_id is not None
    assert owner is not None

    action = Action(
        title=data["title"].strip(),
        detail=(data.get("detail") or "").strip(),
        status=ActionStatus.OPEN.value,
        due=data["due"],
        branch_id=branch_id,
        owner_id=owner.id,
        author_id=user.id,
        source_type=source.type,
        source_id=source.id,
        trend_person_id=trend_person_id,
        **_verification(data),
    )
    db.session.add(action)
    db.session.flush()
    trail.record(
        user,
        "create",
        "action",
        action.id,
        title=action.title,
        source_type=action.source_type,
        source_id=action.source_id,
        owner_id=owner.id,
        due=action.due.isoformat(),
    )
    db.session.commit()
    return action


def _action_branch(user: User, source: SourceInfo, chosen: int | None) -> int | None:
    """The source's branch. A source of no one branch (or of several): the branch
    chosen among the caller's (and the source's), or the only one there is; None
    when they must choose."""
    if source.branch_id is not None:
        return source.branch_id
    mine = {b.id for b in scoping.branches_for(user)}
    if source.branch_ids:
        mine &= set(source.branch_ids)
    if chosen in mine:
        return chosen
    if len(mine) == 1:
        return next(iter(mine))
    return None


def _verification(data: dict[str, Any]) -> dict[str, Any]:
    """How the action's effect will be checked: by a sample of spot checks, by the
    trend of incidents, or not at all; only the chosen kind's settings are kept."""
    verification = data.get("verification", "none")
    sample = verification == "sample"
    trend = verification == "trend"
    return {
        "requires_verification": verification != "none",
        "verification_kind": verification if verification != "none" else None,
        "sample_size": (data.get("sample_size") or 1) if sample else 1,
        "sample_template": (data.get("sample_template") or None) if sample else None,
        "trend_category": data.get("trend_category") if trend else None,
        "trend_days": data.get("trend_days") if trend else None,
    }


def mark_done(user: User, action: Action, evidence: str, version: int | None = None) -> Action:
    """The owner (or a supervisor or manager) says it is done, with evidence."""
    if action.owner_id != user.id and user.role not in ACTION_ROLES:
        raise NotAllowed()
    check_version(action, version)
    if action.status != ActionStatus.OPEN.value:
        raise Invalid({"_schema": ["This action is already marked done."]})
    action.status = ActionStatus.DONE.value
    action.done_at = utcnow()
    action.evidence = evidence.strip()
    trail.record(user, "done", "action", action.id, evidence=action.evidence[:200])
    commit()
    return action
