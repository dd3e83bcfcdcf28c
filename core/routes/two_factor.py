"""Two-factor sign-in pages: the code after the password, setting one up (while
signing in, or from one's account), recovery codes, and a manager's reset.
The rules are in core/two_factor.py."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from core import services, two_factor
from core.dates import utcnow
from core.forms import load_form
from core.htmx import is_htmx_request
from core.models import Role, User
from core.permissions import role_required
from core.routes.blueprint import bp
from core.routes.half_signed_in import pending_next, pending_user, required_roles
from core.routes.sign_in import _client_address, _sign_in_policy, _start_session, _wait_answer
from core.schemas import TwoFactorCodeSchema
from core.sign_in_limits import SignInLimited, describe_wait
from core.web import PASSWORD_CHANGE_ALLOWS, error_response, wants_json

START_AGAIN = "Your sign-in timed out or has ended. Sign in again to continue."
SET_UP_FIRST = (
    "Your role must use two-step sign-in. Set it up now: nothing else can be done until then."
)
SET_UP_FIRST_API = (
    "Set up two-step sign-in first: open /account/two-factor. Nothing else can be done until then."
)

# While a signed-in account must set up a second factor (its role became one that
# must, or a sign-in from before it was required), only these answer as usual.
SETUP_ALLOWS = PASSWORD_CHANGE_ALLOWS | {
    "core.account_two_factor",
    "core.confirm_account_two_factor",
}


def _wait_message(limited: SignInLimited) -> str:
    if limited.by_address:
        return limited.message
    return (
        "There have been too many wrong codes for this account. For your security, "
        f"wait {describe_wait(limited.seconds)} and try again."
    )


def _start_again() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    flash(START_AGAIN, "info")
    return redirect(url_for("core.login"))


def _code_page(errors: dict[str, list[str]], status: int = 200) -> Any:
    return render_template("core/two_factor_code.html", errors=errors), status


def _setup_page(user: User, action: str, errors: dict[str, list[str]], status: int = 200) -> Any:
    secret = two_factor.pending_secret(user)
    return render_template(
        "core/two_factor_setup.html",
        action=action,
        signing_in=not current_user.is_authenticated,
        required=two_factor.is_required(user, required_roles()),
        qr_svg=Markup(two_factor.qr_svg(two_factor.setup_uri(user, secret))),  # noqa: S704 segno's SVG of our own URI
        key=two_factor.key_for_typing(secret),
        errors=errors,
    ), status


def _recovery_page(codes: list[str], continue_to: str) -> Any:
    return render_template(
        "core/two_factor_recovery_codes.html", codes=codes, continue_to=continue_to
    )


def _check(user: User) -> tuple[two_factor.Accepted | None, Any]:
    """The code posted, checked: (accepted, None) or (None, the answer refusing it)."""
    data, errors = load_form(TwoFactorCodeSchema(), request.form)
    if errors:
        return None, errors
    try:
        accepted = two_factor.check_code(
            user, data["code"], _client_address(), _sign_in_policy(), utcnow()
        )
    except SignInLimited as limited:
        return None, limited
    except two_factor.CodeRefused as err:
        return None, err.errors
    return accepted, None


def _refusal(page: Any, refusal: Any) -> Any:
    """`page(errors, status)` answering a refused code: 429 while limited, else 422."""
    if isinstance(refusal, SignInLimited):
        return _wait_answer(page({"code": [_wait_message(refusal)]}, 429), refusal)
    return page(refusal, 422)


# --- signing in -------------------------------------------------------------------


@bp.route("/login/code", methods=["GET", "POST"])
def sign_in_code() -> Any:
    user = pending_user()
    if user is None or not two_factor.is_on(user):
        return _start_again()
    if request.method == "GET":
        return _code_page({})
    accepted, refusal = _check(user)
    if accepted is None:
        return _refusal(_code_page, refusal)
    target = pending_next()
    _start_session(user, _client_address())
    if accepted.recovery_left is not None:
        flash(_recovery_used(accepted.recovery_left), "info")
    return redirect(target)


def _recovery_used(left: int) -> str:
    if left == 0:
        return (
            "You signed in with your last recovery code. Make new ones now, from "
            "Two-step sign-in on your password page."
        )
    codes = "recovery code" if left == 1 else "recovery codes"
    return f"You signed in with a recovery code. You have {left} {codes} left."


@bp.route("/login/two-factor", methods=["GET", "POST"])
def sign_in_setup() -> Any:
    user = pending_user()
    if user is None or not two_factor.needs_setup(user, required_roles()):
        return _start_again()
    action = url_for("core.sign_in_setup")
    if request.method == "GET":
        return _setup_page(user, action, {})
    data, errors = load_form(TwoFactorCodeSchema(), request.form)
    if not errors:
        try:
            codes = two_factor.confirm_setup(user, data["code"], utcnow())
        except two_factor.CodeRefused as err:
            errors = err.errors
        else:
            target = pending_next()
            _start_session(user, _client_address())
            return _recovery_page(codes, target)
    return _setup_page(user, action, errors, 422)


# --- one's own account ------------------------------------------------------------


def _account_page(errors: dict[str, list[str]], status: int = 200) -> Any:
    return render_template(
        "core/two_factor.html",
        required=two_factor.is_required(current_user, required_roles()),
        left=two_factor.recovery_codes_left(current_user),
        errors=errors,
    ), status


@bp.get("/account/two-factor")
@login_required
def account_two_factor() -> Any:
    if two_factor.is_on(current_user):
        return _account_page({})
    if two_factor.needs_setup(current_user, required_roles()):
        flash(SET_UP_FIRST, "info")
    return _setup_page(current_user, url_for("core.confirm_account_two_factor"), {})


@bp.post("/account/two-factor")
@login_required
def confirm_account_two_factor() -> Any:
    action = url_for("core.confirm_account_two_factor")
    if two_factor.is_on(current_user):
        return redirect(url_for("core.account_two_factor"))
    data, errors = load_form(TwoFactorCodeSchema(), request.form)
    if not errors:
        try:
            codes = two_factor.confirm_setup(current_user, data["code"], utcnow())
        except two_factor.CodeRefused as err:
            errors = err.errors
        else:
            return _recovery_page(codes, url_for("core.home"))
    return _setup_page(current_user, action, errors, 422)


@bp.post("/account/two-factor/recovery-codes")
@login_required
def new_recovery_codes() -> Any:
    if not two_factor.is_on(current_user):
        return redirect(url_for("core.account_two_factor"))
    accepted, refusal = _check(current_user)
    if accepted is None:
        return _refusal(_account_page, refusal)
    codes = two_factor.new_recovery_codes(current_user)
    return _recovery_page(codes, url_for("core.account_two_factor"))


@bp.post("/account/two-factor/off")
@login_required
def switch_off_two_factor() -> Any:
    if not two_factor.is_on(current_user):
        return redirect(url_for("core.account_two_factor"))
    if two_factor.is_required(current_user, required_roles()):
        return _account_page({"code": [two_factor.MUST_KEEP]}, 422)
    accepted, refusal = _check(current_user)
    if accepted is None:
        return _refusal(_account_page, refusal)
    two_factor.switch_off(current_user, required_roles())
    flash("Two-step sign-in is off. Your password alone signs you in.", "success")
    return redirect(url_for("core.account_two_factor"))


# --- a manager's reset ------------------------------------------------------------


@bp.post("/users/<int:user_id>/two-factor/reset")
@role_required(Role.MANAGER)
def reset_two_factor(user_id: int) -> Any:
    user = services.get_managed_user(current_user, user_id)
    if user is None:
        abort(404)
    if user.id == current_user.id:
        flash("To change your own two-step sign-in, use your Two-step sign-in page.", "info")
        return redirect(url_for("core.edit_user", user_id=user.id), 303)
    two_factor.reset(current_user, user)
    message = f"{user.name}'s two-step sign-in is cleared and they are signed out everywhere."
    if two_factor.is_required(user, required_roles()):
        message += " They set it up again when they next sign in."
    flash(message, "success")
    return redirect(url_for("core.edit_user", user_id=user.id), 303)


@bp.app_template_global()
def two_factor_state(user: User) -> dict[str, bool]:
    """For the staff edit page: whether this account has a second factor, and must."""
    return {
        "on": two_factor.is_on(user),
        "required": two_factor.is_required(user, required_roles()),
    }


@bp.before_app_request
def _second_factor_first() -> Any:
    """A signed-in account that must have a second factor and has none sets one up
    before anything else (as a password set by a manager is changed first)."""
    if request.endpoint in SETUP_ALLOWS or request.endpoint is None:
        return None
    if not current_user.is_authenticated:
        return None
    if not two_factor.needs_setup(current_user, required_roles()):
        return None
    if wants_json():
        return error_response(403, SET_UP_FIRST_API, reason="two_factor_setup")
    target = url_for("core.account_two_factor")
    if is_htmx_request():
        return "", 204, {"HX-Redirect": target}
    return redirect(target)
