"""Message pages: one's own preferences, and (managers) messages not delivered.
Thin: parse, authorise, call notifications' rules, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from core.forms import load_form
from core.permissions import role_required
from extensions import db
from notifications import email, preferences, quiet_hours, undelivered
from notifications.channels import channels
from notifications.permissions import UNDELIVERED_READERS
from notifications.schemas import preferences_schema

bp = Blueprint("notifications", __name__)

SAVED = "Your choices are saved."
RESENT = "Candour will try to send that message again, for another day."


def _preferences_page(values: dict[str, str], errors: dict[str, list[str]], status: int) -> Any:
    return render_template(
        "notifications/preferences.html",
        rows=preferences.rows(current_user),
        choices=preferences.choices(),
        channels=channels(),
        values=values,
        errors=errors,
        mail_configured=email.configured(),
        day_starts=quiet_hours.DAY_STARTS,
        day_ends=quiet_hours.DAY_ENDS,
        public_url=current_app.config.get("PUBLIC_URL", ""),
    ), status


@bp.route("/account/messages", methods=["GET", "POST"])
@login_required
def account_messages() -> Any:
    if request.method == "GET":
        values = {row.kind.value: row.value for row in preferences.rows(current_user)}
        return _preferences_page(values, {}, 200)
    data, errors = load_form(preferences_schema(current_user), request.form)
    if errors:
        return _preferences_page(dict(request.form), errors, 422)
    preferences.save(current_user, data)
    db.session.commit()
    flash(SAVED, "success")
    return redirect(url_for("notifications.account_messages"))


@bp.get("/messages/not-delivered")
@role_required(*UNDELIVERED_READERS)
def not_delivered() -> Any:
    return render_template(
        "notifications/not_delivered.html",
        messages=undelivered.for_manager(current_user),
        limit=undelivered.LIMIT,
        can_resend=undelivered.can_resend,
    )


@bp.post("/messages/<int:message_id>/resend")
@role_required(*UNDELIVERED_READERS)
def resend(message_id: int) -> Any:
    message = undelivered.failed_message(current_user, message_id)
    if message is None:
        abort(404)
    if not undelivered.can_resend(message):
        abort(409)
    undelivered.resend(current_user, message)
    db.session.commit()
    flash(RESENT, "success")
    return redirect(url_for("notifications.not_delivered"))
