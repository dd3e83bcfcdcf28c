"""Invitation and reset links: choosing one's password with a link, and a
manager's "reset password" (the rules are in core/invitations.py)."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from core import invitations, services
from core.forms import load_form
from core.models import Role, User
from core.permissions import role_required
from core.routes.blueprint import bp
from core.schemas import ChoosePasswordSchema

PASSWORD_SET = "Your password is set. Sign in with your email address and your new password."  # noqa: S105 (a message)


def full_link(path: str) -> str:
    """The address to pass on: PUBLIC_URL when set, else the one this page was
    opened at (as the trusted proxy says, with PROXY_HOPS)."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return str(base).rstrip("/") + path


def link_page(user: User, path: str, *, reset: bool) -> Any:
    """The new link, shown once to the manager who made it."""
    return render_template(
        "core/invitation_link.html",
        user=user,
        link=full_link(path),
        reset=reset,
        days=invitations.lifetime_days(),
    )


def _gone(state: invitations.LinkState) -> Any:
    status = 404 if state is invitations.LinkState.UNKNOWN else 410
    message = invitations.gone_message(state)
    return render_template("core/invitation_gone.html", message=message), status


def _choose_page(link: invitations.OpenLink, errors: dict[str, list[str]], status: int) -> Any:
    return render_template(
        "core/invitation.html",
        user=link.user,
        reset=link.invitation.purpose == invitations.Purpose.RESET,
        values={},
        errors=errors,
    ), status


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str) -> Any:
    try:
        link = invitations.open_link(token)
    except invitations.LinkNotUsable as gone:
        return _gone(gone.state)
    if request.method == "GET":
        return _choose_page(link, {}, 200)
    data, errors = load_form(ChoosePasswordSchema(), request.form)
    if errors:
        return _choose_page(link, errors, 422)
    try:
        invitations.choose_password(token, data["new_password"])
    except invitations.LinkNotUsable as gone:
        return _gone(gone.state)
    except invitations.ChoosePasswordError as err:
        return _choose_page(link, err.errors, 422)
    flash(PASSWORD_SET, "success")
    return redirect(url_for("core.login"))


@bp.post("/users/<int:user_id>/reset-password")
@role_required(Role.MANAGER)
def reset_password(user_id: int) -> Any:
    user = services.get_managed_user(current_user, user_id)
    if user is None:
        abort(404)
    try:
        path = invitations.reset_password(current_user, user)
    except invitations.ResetRefused as err:
        flash(err.errors["reset"][0], "error")
        return redirect(url_for("core.edit_user", user_id=user.id))
    return link_page(user, path, reset=True)
