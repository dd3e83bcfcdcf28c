"""Actions: the lists, agreeing one, the weak-action hint, and marking one done,
verifying it or carrying it into a review."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from actions import due, queries, records, sources
from actions import strength as strength_rules
from audits import template_versions
from core import scoping
from core.dates import uk_today
from core.errors import Invalid, OutOfScope, Stale
from core.forms import load_form, record_id
from core.models import Role
from core.permissions import role_required
from incidents.models import Category, label
from learning import permissions as learning_permissions
from learning import reviews as review_rules
from learning import verification
from learning.routes._common import STALE, soon_days
from learning.routes.blueprint import bp
from learning.schemas import ActionCarrySchema, ActionDoneSchema, ActionInSchema, ActionVerifySchema


@bp.get("/actions")
@login_required
def actions() -> Any:
    # Those who manage actions start from all open ones; carers and office staff
    # from their own.
    default = "open" if learning_permissions.can_manage_actions(current_user) else "mine"
    view = request.args.get("view", default)
    if view not in due.ACTION_VIEWS:
        view = default
    number, size = request.args.get("page", 1, type=int), current_app.config["ACTIONS_PAGE_SIZE"]
    page = due.page_of_actions(current_user, view, uk_today(), soon_days(), number, size)
    return render_template(
        "learning/actions.html",
        actions=page.items,
        page=page,
        view=view,
        views=due.ACTION_VIEWS,
        today=uk_today(),
        soon=soon_days(),
        due_state=due.due_state,
        strength=strength_rules.action_strength,
        can_raise=learning_permissions.can_manage_actions(current_user),
    )


def _source_of(values: dict[str, Any]) -> sources.SourceInfo | None:
    """What the action is about (an incident, a review, a meeting), if the user may see it."""
    try:
        return sources.resolve_source(
            current_user, values.get("source_type") or "", values.get("source_id") or ""
        )
    except OutOfScope:
        return None


def _action_new_form(
    values: dict[str, Any], errors: dict[str, list[str]], status: int = 200
) -> Any:
    source = _source_of(values)
    branch_id = source.branch_id if source is not None else None
    branches = scoping.branches_for(current_user)
    if source is not None and source.branch_ids:
        branches = [b for b in branches if b.id in source.branch_ids]
    if branch_id is None:
        branch_id = record_id(str(values.get("branch_id") or ""))
        if branch_id is None and len(branches) == 1:
            branch_id = branches[0].id
    owners = (
        records.owners_for(current_user, branch_id)
        if branch_id is not None
        else scoping.staff_for(current_user)
    )
    return render_template(
        "learning/action_new.html",
        values=values,
        errors=errors,
        source=source,
        branches=branches,
        owners=owners,
        categories=[(c.value, label(c.value)) for c in Category],
        strength=strength_rules.action_strength(
            values.get("title") or "", values.get("detail") or ""
        ),
    ), status


@bp.get("/actions/new")
@role_required(Role.SUPERVISOR, Role.MANAGER)
def action_new() -> Any:
    source_type = request.args.get("source_type", "meeting")
    if source_type not in ("incident", "review", "meeting"):
        abort(404)
    values: dict[str, Any] = {
        "source_type": source_type,
        "source_id": request.args.get("source_id", ""),
        "owner_id": current_user.id,
        "verification": "none",
        "sample_size": 1,
    }
    if source_type != "meeting" or record_id(values["source_id"].strip()) is not None:
        sources.resolve_source(current_user, source_type, values["source_id"])
    return _action_new_form(values, {})


def _after_agreeing(action: Any) -> str:
    """Back to where the action was agreed: its review, incident or meeting (else its page)."""
    if action.source_type == "review":
        return url_for("learning.review", review_id=int(action.source_id))
    if action.source_type == "incident":
        return url_for("learning.incident_learning", incident_id=action.source_id)
    meeting_id = record_id(action.source_id) if action.source_type == "meeting" else None
    if meeting_id is not None:
        return url_for("governance.meeting", meeting_id=meeting_id)
    return url_for("learning.action", action_id=action.id)


@bp.post("/actions")
@role_required(Role.SUPERVISOR, Role.MANAGER)
def action_create() -> Any:
    data, errors = load_form(ActionInSchema(), request.form)
    if not errors:
        try:
            action = records.new_action(current_user, data)
        except Invalid as err:
            errors = err.errors
        else:
            flash(f"Action agreed: {action.title}", "success")
            return redirect(_after_agreeing(action))
    return _action_new_form(data, errors, 422)


@bp.get("/actions/strength")
@login_required
def action_strength() -> Any:
    """The weak-action hint for what is being typed (htmx); a plain page without
    JavaScript."""
    strength = strength_rules.action_strength(
        request.args.get("title", "")[:200], request.args.get("detail", "")[:5000]
    )
    return render_template("learning/_strength.html", strength=strength)


def _action_page(
    action: Any,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    today = uk_today()
    evidence = verification.verification_evidence(action, today)
    return render_template(
        "learning/action.html",
        action=action,
        source=sources.describe_source(current_user, action),
        evidence=evidence,
        blockers=verification.verification_blockers(action, evidence),
        strength=strength_rules.action_strength(action.title, action.detail),
        state=due.due_state(action, today, soon_days()),
        can_mark_done=learning_permissions.can_mark_done(current_user, action),
        can_verify=learning_permissions.can_verify(current_user)
        and verification.can_judge(action, evidence),
        can_reaudit=learning_permissions.can_reaudit(current_user)
        and verification.reaudit_shows(action, evidence),
        reviews=review_rules.list_reviews(current_user)
        if learning_permissions.can_carry(current_user, action)
        else [],
        sample_template=template_versions.current_template(action.sample_template)
        if action.sample_template
        else None,
        errors=errors or {},
        values=values or {},
        label=label,
    ), status


@bp.get("/actions/<int:action_id>")
@login_required
def action(action_id: int) -> Any:
    return _action_page(queries.get_action(current_user, action_id))


def _action_post(
    action_id: int, schema: Any, apply: Callable[[Any, dict[str, Any]], Any], message: str
) -> Any:
    found = queries.get_action(current_user, action_id)
    data, errors = load_form(schema, request.form)
    if errors:
        return _action_page(found, errors, data, 422)
    try:
        apply(found, data)
    except Invalid as err:
        return _action_page(queries.get_action(current_user, action_id), err.errors, data, 422)
    except Stale:
        return _action_page(
            queries.get_action(current_user, action_id), {"_schema": [STALE]}, data, 409
        )
    flash(message, "success")
    return redirect(url_for("learning.action", action_id=action_id))


@bp.post("/actions/<int:action_id>/done")
@login_required
def action_done(action_id: int) -> Any:
    return _action_post(
        action_id,
        ActionDoneSchema(),
        lambda a, d: records.mark_done(current_user, a, d["evidence"], d["version"]),
        "Marked done. Thank you.",
    )


@bp.post("/actions/<int:action_id>/verify")
@role_required(Role.MANAGER)
def action_verify(action_id: int) -> Any:
    return _action_post(
        action_id,
        ActionVerifySchema(),
        lambda a, d: verification.verify_action(
            current_user, a, d["outcome"], d["note"], version=d["version"]
        ),
        "Verification recorded.",
    )


@bp.post("/actions/<int:action_id>/carry")
@role_required(Role.SUPERVISOR, Role.MANAGER)
def action_carry(action_id: int) -> Any:
    return _action_post(
        action_id,
        ActionCarrySchema(),
        lambda a, d: review_rules.carry_into_review(current_user, a, d["review_id"], d["version"]),
        "The review now follows this action.",
    )
