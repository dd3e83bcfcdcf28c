"""Changing one's own password."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from core import services
from core.forms import load_form
from core.routes.blueprint import bp
from core.routes.sign_in import _client_address, _sign_in_policy, _wait_answer
from core.schemas import ChangePasswordSchema
from core.sign_in_limits import SignInLimited

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
