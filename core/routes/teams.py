"""Teams (rounds) within a branch (managers)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from core import services
from core.forms import load_form
from core.models import Role
from core.permissions import role_required
from core.routes.blueprint import bp
from core.routes.staff import _staff_page
from core.schemas import NewTeamSchema, SetTeamSchema


@bp.post("/users/teams")
@role_required(Role.MANAGER)
def create_team() -> Any:
    data, errors = load_form(NewTeamSchema(), request.form)
    if not errors:
        try:
            team = services.create_team(current_user, **data)
        except services.UserAdminError as err:
            errors = err.errors
        else:
            flash(f"Added the team {team.name} to {team.branch.name}.", "success")
            return redirect(url_for("core.users", _anchor="teams"))
    values = {k: request.form.get(k, "") for k in ("team_name", "team_branch_id")}
    return _staff_page(422, team_values=values, errors=errors)


@bp.post("/users/teams/<int:team_id>/active")
@role_required(Role.MANAGER)
def team_active(team_id: int) -> Any:
    team = services.get_managed_team(current_user, team_id)
    if team is None:
        abort(404)
    active = request.form.get("active") == "true"
    removed = services.set_team_active(current_user, team, active)
    if active:
        flash(f"{team.name} is a team again; choose who is in it below.", "success")
    else:
        flash(
            f"Switched off {team.name}. "
            + {0: "Nobody was in it.", 1: "The person in it now has no team."}.get(
                removed, f"The {removed} people in it now have no team."
            ),
            "success",
        )
    return redirect(url_for("core.users", _anchor="teams"))


@bp.post("/users/<int:user_id>/team")
@role_required(Role.MANAGER)
def user_team(user_id: int) -> Any:
    user = services.get_managed_user(current_user, user_id)
    if user is None:
        abort(404)
    data, errors = load_form(SetTeamSchema(), request.form)
    if not errors:
        try:
            services.set_user_team(current_user, user, data["team_id"])
        except services.UserAdminError as err:
            errors = err.errors
        else:
            team = user.team.name if user.team else "no team"
            flash(f"{user.name}: {team}.", "success")
            return redirect(url_for("core.users"))
    else:
        errors = {f"team_id-{user.id}": [services.NO_SUCH_TEAM]}
    return _staff_page(422, errors=errors)
