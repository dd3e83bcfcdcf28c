"""The office marks the new records as looked at (their home page counts what
arrives after)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_login import current_user

from core.dates import utcnow
from core.forms import load_form
from core.models import Role
from core.permissions import role_required
from core.web import error_response
from incidents import office_work
from incidents.routes.blueprint import bp
from incidents.schemas import LookedAtSchema


@bp.post("/looked-at")
@role_required(Role.OFFICE)
def records_looked_at() -> Any:
    data, errors = load_form(LookedAtSchema(), request.form)
    if errors:
        return error_response(
            422,
            "That did not say which records you looked at. Nothing was changed: go back and try again.",
        )
    office_work.mark_seen(current_user, data["upto"], utcnow())
    flash("Marked as looked at: new records from now on are counted.", "success")
    return redirect(url_for("core.home"), 303)
