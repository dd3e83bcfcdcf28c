"""Sign-in, sign-out, the home page for each role, staff accounts, health."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import text

from core import services
from core.forms import load_form
from core.models import Role
from core.permissions import role_required
from core.schemas import ROLE_CHOICES, EditUserSchema, NewUserSchema, SignInSchema
from extensions import db

bp = Blueprint("core", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow `next` within this site (no open redirects)."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target.rstrip("?") or "/"
    return url_for("core.home")


@bp.get("/healthz")
def healthz() -> Any:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # the database is the one thing this checks
        current_app.logger.exception("health check failed")
        return {"status": "unavailable"}, 503
    return {"status": "ok"}


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("core/login.html", values={}, errors={})

    data, errors = load_form(SignInSchema(), request.form)
    if errors:
        return render_template("core/login.html", values=data, errors=errors), 422
    policy = services.SignInPolicy(
        max_failures=current_app.config["LOGIN_MAX_FAILURES"],
        window=current_app.config["LOGIN_WINDOW"],
    )
    address = request.remote_addr or "unknown"
    values = {"email": data["email"]}
    try:
        user = services.authenticate(data["email"], data["password"], address, policy)
    except services.SignInLimited:
        return render_template(
            "core/login.html", values=values, errors={"email": [services.TOO_MANY_ATTEMPTS]}
        ), 429
    except services.AccountInactive:
        return render_template(
            "core/login.html", values=values, errors={"email": [services.ACCOUNT_INACTIVE]}
        ), 403
    if user is None:
        return render_template(
            "core/login.html", values=values, errors={"email": [services.SIGN_IN_FAILED]}
        ), 422
    # A new session at sign-in: nothing from before (CSRF token included) carries over.
    session.clear()
    login_user(user)
    session.permanent = True
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/logout")
@login_required
def logout() -> Any:
    services.record_sign_out(current_user)
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("core.login"))


@bp.get("/")
@login_required
def home() -> Any:
    return render_template("core/home.html", role=Role(current_user.role))


# --- staff accounts (managers) ---------------------------------------------------


def _user_form(template: str, status: int = 200, **context: Any) -> Any:
    context.setdefault("errors", {})
    context.setdefault("values", {})
    return render_template(
        template,
        roles=[Role(r) for r in ROLE_CHOICES],
        branches=services.manageable_branches(current_user),
        **context,
    ), status


@bp.get("/users")
@role_required(Role.MANAGER)
def users() -> Any:
    return _user_form(
        "core/users.html", users=services.users_for_manager(current_user), values={"role": "carer"}
    )


@bp.post("/users")
@role_required(Role.MANAGER)
def create_user() -> Any:
    data, errors = load_form(NewUserSchema(), request.form)
    if not errors:
        try:
            user = services.create_user(current_user, **data)
        except services.UserAdminError as err:
            errors = err.errors
        else:
            flash(f"{user.name} can now sign in as {user.email}.", "success")
            return redirect(url_for("core.users"))
    data.pop("password", None)
    return _user_form(
        "core/users.html",
        422,
        users=services.users_for_manager(current_user),
        values=data,
        errors=errors,
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def edit_user(user_id: int) -> Any:
    user = services.get_managed_user(current_user, user_id)
    if user is None:
        abort(404)
    if request.method == "GET":
        values = {
            "name": user.name,
            "role": user.role,
            "branch_ids": [b.id for b in user.branches],
            "active": user.active,
        }
        return _user_form("core/user_edit.html", user=user, values=values)
    data, errors = load_form(EditUserSchema(), request.form)
    if not errors:
        try:
            services.update_user(current_user, user, **data)
        except services.UserAdminError as err:
            errors = err.errors
        else:
            flash(f"Saved changes to {user.name}.", "success")
            return redirect(url_for("core.users"))
    data.pop("password", None)
    return _user_form("core/user_edit.html", 422, user=user, values=data, errors=errors)
