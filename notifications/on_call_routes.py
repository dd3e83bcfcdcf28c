"""The on-call rota page (managers, within their branches). Thin: parse,
authorise, call notifications.on_call, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from core.dates import utcnow
from core.errors import Invalid
from core.forms import load_form
from core.models import Role
from core.permissions import role_required
from notifications import on_call
from notifications.on_call_schemas import OnCallShiftSchema

bp = Blueprint("on_call", __name__, url_prefix="/on-call")


def _rota_page(status: int = 200, **context: Any) -> Any:
    now = utcnow()
    context.setdefault("values", {})
    context.setdefault("errors", {})
    return render_template(
        "notifications/on_call.html",
        shifts=on_call.rota(current_user, now),
        now=now,
        **on_call.rota_choices(current_user),
        **context,
    ), status


@bp.get("")
@role_required(Role.MANAGER)
def rota() -> Any:
    return _rota_page()


@bp.post("")
@role_required(Role.MANAGER)
def add_shift() -> Any:
    data, errors = load_form(OnCallShiftSchema(), request.form)
    if not errors:
        try:
            shift = on_call.add_shift(current_user, data, utcnow())
        except Invalid as err:
            errors = err.errors
        else:
            flash(f"{shift.user.name} is on the rota for {shift.branch.code}.", "success")
            return redirect(url_for("on_call.rota"))
    return _rota_page(422, values=request.form.to_dict(), errors=errors)


@bp.post("/<int:shift_id>/remove")
@role_required(Role.MANAGER)
def remove_shift(shift_id: int) -> Any:
    shift = on_call.shift_in_scope(current_user, shift_id)
    on_call.remove_shift(current_user, shift)
    flash("Removed the shift from the rota.", "success")
    return redirect(url_for("on_call.rota"))
