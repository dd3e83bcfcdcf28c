"""Signing in and out."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from core import https_check, services
from core.forms import load_form
from core.models import User
from core.routes.blueprint import bp
from core.routes.half_signed_in import after_password
from core.schemas import SignInSchema
from core.sign_in_limits import SignInLimited, SignInPolicy
from core.web import safe_next


def _safe_next(target: str | None) -> str:
    return safe_next(target)  # core.web: the one rule for redirect targets


def _login_page(values: dict[str, Any], errors: dict[str, list[str]], status: int = 200) -> Any:
    plain_http = https_check.refused_over_http(current_app.config, is_secure=request.is_secure)
    return render_template(
        "core/login.html",
        values=values,
        errors=errors,
        plain_http=https_check if plain_http else None,
    ), status


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


def _login_or_onwards() -> Any:
    """The sign-in page, or where the signed-in person was going."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    return _login_page({}, {})


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return _login_or_onwards()
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
    # A second factor, when the account has or must have one, before signing in.
    second_step = after_password(user, _safe_next(request.args.get("next")))
    if second_step is not None:
        return second_step
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
