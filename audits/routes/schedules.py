"""Schedules: how many spot checks a branch is to do, and by when; set and
cancelled by a manager, read by supervisors and the office."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from audits import recording, template_versions
from audits import schedules as schedule_rules
from audits.routes._common import READING
from audits.routes.blueprint import bp
from audits.schemas import ScheduleSchema
from core import scoping
from core.dates import uk_today
from core.errors import Invalid
from core.forms import load_form
from core.models import Role
from core.permissions import role_required


def _schedules_page(values: dict[str, Any], errors: dict[str, list[str]], status: int = 200) -> Any:
    return render_template(
        "audits/schedules.html",
        statuses=schedule_rules.schedules_for(current_user, uk_today()),
        templates=template_versions.published_templates(),
        branches=scoping.branches_for(current_user),
        staff=recording.observable_staff(current_user),
        values=values,
        errors=errors,
    ), status


@bp.get("/schedules")
@role_required(*READING)
def schedules() -> Any:
    return _schedules_page({"target": "10"}, {})


@bp.post("/schedules")
@role_required(Role.MANAGER)
def create_schedule() -> Any:
    data, errors = load_form(ScheduleSchema(), request.form)
    if not errors:
        try:
            schedule_rules.create_schedule(current_user, data, uk_today())
        except Invalid as err:
            errors = err.errors
        else:
            flash("Schedule set: supervisors will see it on their home page.", "success")
            return redirect(url_for("audits.schedules"), code=303)
    return _schedules_page(dict(request.form), errors, 422)


@bp.post("/schedules/<int:schedule_id>/cancel")
@role_required(Role.MANAGER)
def cancel_schedule(schedule_id: int) -> Any:
    schedule_rules.cancel_schedule(current_user, schedule_id)
    flash("Schedule cancelled.", "success")
    return redirect(url_for("audits.schedules"), code=303)
