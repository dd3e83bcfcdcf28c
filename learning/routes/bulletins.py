"""Bulletins: the list, sending one, reading and acknowledging it, and the
briefing notes of how it was passed on."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from core import scoping
from core.dates import uk_today
from core.errors import Invalid
from core.forms import load_form, record_id
from core.htmx import wants_partial
from core.models import Role
from core.permissions import role_required
from learning import briefing_notes
from learning import bulletins as bulletin_rules
from learning import permissions as learning_permissions
from learning import reviews as review_rules
from learning.models import BriefingNoteKind, ReviewStatus
from learning.routes.blueprint import bp
from learning.schemas import BriefingNoteSchema, BulletinInSchema


@bp.get("/bulletins")
@login_required
def bulletins() -> Any:
    return render_template(
        "learning/bulletins.html", rows=bulletin_rules.list_bulletins(current_user)
    )


def _bulletin_form(values: dict[str, Any], errors: dict[str, list[str]], status: int = 200) -> Any:
    return render_template(
        "learning/bulletin_new.html",
        values=values,
        errors=errors,
        review=bulletin_rules.bulletin_review(values) if errors else None,
        branches=scoping.branches_for(current_user),
        roles=list(Role),
        reviews=review_rules.list_reviews(current_user, ReviewStatus.COMPLETED.value),
    ), status


@bp.get("/bulletins/new")
@role_required(Role.MANAGER)
def bulletin_new() -> Any:
    review_ids = [i for i in map(record_id, request.args.getlist("review")) if i is not None]
    if review_ids:
        values = bulletin_rules.bulletin_draft(current_user, review_ids)
    else:
        values = {"branch_ids": [b.id for b in scoping.branches_for(current_user)], "roles": []}
    return _bulletin_form(values, {})


@bp.post("/bulletins")
@role_required(Role.MANAGER)
def bulletin_create() -> Any:
    data, errors = load_form(BulletinInSchema(), request.form)
    if not errors:
        try:
            bulletin = bulletin_rules.new_bulletin(current_user, data)
        except Invalid as err:
            errors = err.errors
        else:
            flash("Bulletin sent. Staff will see it on their home page.", "success")
            return redirect(url_for("learning.bulletin", bulletin_id=bulletin.id))
    return _bulletin_form(data, errors, 422)


def _bulletin_page(
    bulletin: Any,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    can_note = learning_permissions.can_manage_actions(current_user)
    note_branches = briefing_notes.note_branches(current_user, bulletin)
    note_values = values or {
        "kind": BriefingNoteKind.TEAM_DEBRIEF.value,
        "held_on": uk_today().isoformat(),
        "branch_id": note_branches[0].id if note_branches else None,
    }
    return render_template(
        "learning/bulletin.html",
        bulletin=bulletin,
        for_me=bulletin_rules.is_for(current_user, bulletin),
        read_at=bulletin_rules.acknowledged_at(current_user, bulletin),
        readers=bulletin_rules.readership(bulletin)
        if learning_permissions.sees_readership(current_user)
        else [],
        notes=briefing_notes.notes_about(current_user, bulletin),
        can_note=can_note,
        note_branches=note_branches,
        note_staff=briefing_notes.note_staff(current_user, bulletin) if can_note else [],
        kinds=list(BriefingNoteKind),
        errors=errors or {},
        values=note_values,
    ), status


@bp.get("/bulletins/<int:bulletin_id>")
@login_required
def bulletin(bulletin_id: int) -> Any:
    return _bulletin_page(bulletin_rules.get_bulletin(current_user, bulletin_id))


@bp.post("/bulletins/<int:bulletin_id>/acknowledge")
@login_required
def bulletin_acknowledge(bulletin_id: int) -> Any:
    found = bulletin_rules.get_bulletin(current_user, bulletin_id)
    ack = bulletin_rules.acknowledge(current_user, found)
    if wants_partial():
        return render_template(
            "learning/_acknowledge.html", bulletin=found, for_me=True, read_at=ack.at
        )
    flash("Thank you: your manager can see you have read this.", "success")
    return redirect(url_for("learning.bulletin", bulletin_id=bulletin_id))


@bp.post("/bulletins/<int:bulletin_id>/notes")
@role_required(Role.SUPERVISOR, Role.MANAGER)
def bulletin_note(bulletin_id: int) -> Any:
    found = bulletin_rules.get_bulletin(current_user, bulletin_id)
    data, errors = load_form(BriefingNoteSchema(), request.form)
    if not errors:
        try:
            briefing_notes.add_briefing_note(current_user, data, bulletin=found)
        except Invalid as err:
            errors = err.errors
        else:
            flash("Note saved.", "success")
            return redirect(url_for("learning.bulletin", bulletin_id=bulletin_id) + "#notes")
    return _bulletin_page(found, errors, data, 422)
