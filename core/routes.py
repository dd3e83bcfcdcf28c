"""Sign-in, sign-out, the home page for each role, staff accounts, health."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
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
from flask_wtf.csrf import generate_csrf
from sqlalchemy import text

from core import services
from core.forms import load_form
from core.models import Role, User
from core.permissions import role_required
from core.schemas import (
    ROLE_CHOICES,
    ChangePasswordSchema,
    EditUserSchema,
    NewTeamSchema,
    NewUserSchema,
    SetTeamSchema,
    SignInSchema,
)
from core.sign_in_limits import SignInLimited, SignInPolicy
from core.web import safe_next
from extensions import db

bp = Blueprint("core", __name__)


def _safe_next(target: str | None) -> str:
    return safe_next(target)  # core.web: the one rule for redirect targets


@bp.get("/healthz")
def healthz() -> Any:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # the database is the one thing this checks
        current_app.logger.exception("health check failed")
        return {"status": "unavailable"}, 503
    return {"status": "ok"}


def _login_page(values: dict[str, Any], errors: dict[str, list[str]], status: int = 200) -> Any:
    return render_template("core/login.html", values=values, errors=errors), status


def _sign_in_refused(email: str, message: str, status: int) -> Any:
    """The sign-in page again with the address typed (never the password)."""
    return _login_page({"email": email}, {"email": [message]}, status)


def _sign_in_policy() -> SignInPolicy:
    config = current_app.config
    return SignInPolicy(
        account_failures=config["LOGIN_MAX_FAILURES"],
        address_failures=config["LOGIN_ADDRESS_MAX_FAILURES"],
        window=config["LOGIN_WINDOW"],
        first_wait=config["LOGIN_FIRST_WAIT"],
        longest_wait=config["LOGIN_LONGEST_WAIT"],
    )


def _start_session(user: User, address: str) -> None:
    # A new session at sign-in: nothing from before (CSRF token included) carries over.
    session.clear()
    services.start_sign_in_session(user, address, request.headers.get("User-Agent", ""))
    login_user(user)
    session.permanent = True
    # The CSRF token is made now, in the answer that starts the session, so that
    # the first pages and the worker's requests after it all share one token.
    generate_csrf()


def _client_address() -> str:
    # The address the trusted proxy saw (ProxyFix with PROXY_HOPS, in app.py), or
    # the connection's own: never a value the client wrote.
    return request.remote_addr or "unknown"


def _wait_answer(page: tuple[str, int], limited: SignInLimited) -> Any:
    """A refusal to try again yet, saying when in the Retry-After header too."""
    body, status = page
    return body, status, {"Retry-After": str(limited.seconds)}


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(_safe_next(request.args.get("next")))
        return _login_page({}, {})
    data, errors = load_form(SignInSchema(), request.form)
    if errors:
        return _login_page(data, errors, 422)
    address = _client_address()
    try:
        user = services.authenticate(data["email"], data["password"], address, _sign_in_policy())
    except SignInLimited as limited:
        return _wait_answer(_sign_in_refused(data["email"], limited.message, 429), limited)
    except services.AccountInactive:
        return _sign_in_refused(data["email"], services.ACCOUNT_INACTIVE, 403)
    if user is None:
        return _sign_in_refused(data["email"], services.SIGN_IN_FAILED, 422)
    _start_session(user, address)
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/logout")
@login_required
def logout() -> Any:
    services.record_sign_out(current_user)
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("core.login"))


CHANGED_YOUR_OWN = (
    "Your password is changed. You are still signed in here, and signed out on every other device."
)
CHOOSE_YOUR_OWN_FIRST = (
    "Choose your own password before you carry on: the one you signed in with was set "
    "by your manager."
)


def _password_page(errors: dict[str, list[str]], status: int = 200) -> Any:
    # Passwords are never sent back into the form.
    return render_template("core/password.html", values={}, errors=errors), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    if request.method == "GET":
        if current_user.must_change_password:
            flash(CHOOSE_YOUR_OWN_FIRST, "info")
        return _password_page({})
    data, errors = load_form(ChangePasswordSchema(), request.form)
    if errors:
        return _password_page(errors, 422)
    current, new = data["current_password"], data["new_password"]
    try:
        services.change_own_password(
            current_user, current, new, _client_address(), _sign_in_policy()
        )
    except SignInLimited as limited:
        return _wait_answer(_password_page({"current_password": [limited.message]}, 429), limited)
    except services.PasswordChangeError as err:
        return _password_page(err.errors, 422)
    flash(CHANGED_YOUR_OWN, "success")
    return redirect(url_for("core.home"))


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
            user = services.create_user(current_user, **data)
        except services.UserAdminError as err:
            errors = err.errors
        else:
            flash(f"{user.name} can now sign in as {user.email}.", "success")
            return redirect(url_for("core.users"))
    data.pop("password", None)
    return _staff_page(422, values=data, errors=errors)


def _account_values(user: User) -> dict[str, Any]:
    """A staff account as its edit form shows it."""
    return {
        "name": user.name,
        "role": user.role,
        "branch_ids": [b.id for b in user.branches],
        "active": user.active,
    }


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def edit_user(user_id: int) -> Any:
    user = services.get_managed_user(current_user, user_id)
    if user is None:
        abort(404)
    if request.method == "GET":
        return _user_form("core/user_edit.html", user=user, values=_account_values(user))
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


# --- teams (managers) -------------------------------------------------------------


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


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
