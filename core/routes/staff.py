"""Staff accounts (managers)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from core import invitations, services
from core.forms import load_form
from core.models import Role, User
from core.permissions import role_required
from core.routes.blueprint import bp
from core.routes.invitations import link_page
from core.schemas import ROLE_CHOICES, EditUserSchema, NewUserSchema


def _user_form(template: str, status: int = 200, **context: Any) -> Any:
    context.setdefault("errors", {})
    context.setdefault("values", {})
    return render_template(
        template,
        roles=[Role(r) for r in ROLE_CHOICES],
        branches=services.manageable_branches(current_user),
        **context,
    ), status


def _staff_page(status: int = 200, **context: Any) -> Any:
    """The staff page: accounts with their teams, the branches' teams, and the
    forms to add someone or a team. `context` carries a failed form's values."""
    users = services.users_for_manager(current_user)
    teams = services.teams_for_manager(current_user)
    members: dict[int, int] = {}
    for user in users:
        if user.team_id is not None and user.active:
            members[user.team_id] = members.get(user.team_id, 0) + 1
    context.setdefault("values", {"role": "carer"})
    context.setdefault("team_values", {})
    return _user_form(
        "core/users.html",
        status,
        users=users,
        teams=teams,
        team_members=members,
        team_choices={u.id: services.team_choices(current_user, u, teams) for u in users},
        waiting=invitations.waiting_for_password(users),
        **context,
    )


@bp.get("/users")
@role_required(Role.MANAGER)
def users() -> Any:
    return _staff_page()


@bp.post("/users")
@role_required(Role.MANAGER)
def create_user() -> Any:
    data, errors = load_form(NewUserSchema(), request.form)
    if not errors:
        try:
            user, path = services.create_user(current_user, **data)
        except services.UserAdminError as err:
            errors = err.errors
        else:
            # The link is shown now, once, and never again (only its hash is kept).
            return link_page(user, path, reset=False)
    return _staff_page(422, values=data, errors=errors)


def _account_values(user: User) -> dict[str, Any]:
    """A staff account as its edit form shows it."""
    return {
        "name": user.name,
        "role": user.role,
        "branch_ids": [b.id for b in user.branches],
        "active": user.active,
    }


def _edit_page(user: User, status: int, **context: Any) -> Any:
    """One account's edit form, saying whether it still waits for its password."""
    waiting = invitations.waiting_for_password([user])
    return _user_form("core/user_edit.html", status, user=user, waiting=waiting, **context)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def edit_user(user_id: int) -> Any:
    user = services.get_managed_user(current_user, user_id)
    if user is None:
        abort(404)
    if request.method == "GET":
        return _edit_page(user, 200, values=_account_values(user))
    data, errors = load_form(EditUserSchema(), request.form)
    if not errors:
        try:
            services.update_user(current_user, user, **data)
        except services.UserAdminError as err:
            errors = err.errors
        else:
            flash(f"Saved changes to {user.name}.", "success")
            return redirect(url_for("core.users"))
    return _edit_page(user, 422, values=data, errors=errors)
