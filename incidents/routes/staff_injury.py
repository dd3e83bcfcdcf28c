"""A manager updates the staff injury on a record (days off work, above all) and
adds a duty the rules did not suggest."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from core.choices import staff_choice
from core.forms import load_form
from incidents import decisions, permissions, services
from incidents import staff_injury as injury_rules
from incidents.duties import RULE_GUIDANCE, rule_label
from incidents.errors import InvalidChange, StaleIncident
from incidents.models import Incident
from incidents.riddor import REPORTABLE
from incidents.routes.blueprint import bp
from incidents.schemas import AddDutySchema, StaffInjurySchema


def staff_of_branch(incident: Incident) -> list[tuple[str, str]]:
    """The active staff of the incident's branch, as choices."""
    ids = services.branch_staff_ids(incident.branch_id)
    return [
        (str(value), text) for value, text in map(staff_choice, services.staff_by_id(ids).values())
    ]


def _injury_values(incident: Incident) -> dict[str, Any]:
    return {
        "version": incident.version,
        "injured_staff_id": str(incident.injured_staff_id or ""),
        "staff_injury": incident.staff_injury,
        "specified_injury": incident.specified_injury,
        "non_worker_hospital": "true" if incident.non_worker_hospital else "",
        "days_off_work": "" if incident.days_off_work is None else str(incident.days_off_work),
    }


def _injury_page(
    incident: Incident, values: dict[str, Any], errors: dict[str, list[str]], status: int = 200
) -> Any:
    return render_template(
        "incidents/staff_injury.html",
        incident=incident,
        values=values,
        errors=errors,
        staff=staff_of_branch(incident),
        reportable=list(REPORTABLE.items()),
    ), status


@bp.route("/<incident_id>/staff-injury", methods=["GET", "POST"])
@login_required
def staff_injury(incident_id: str) -> Any:
    incident = services.get_incident(current_user, incident_id)
    if not permissions.can_triage(current_user):
        abort(403)
    if request.method == "GET":
        return _injury_page(incident, _injury_values(incident), {})
    data, errors = load_form(StaffInjurySchema(), request.form)
    if not errors:
        try:
            injury_rules.update_staff_injury(current_user, incident, **data)
        except StaleIncident as err:
            flash("Someone changed this record since you opened it: check it and try again.")
            return _injury_page(err.incident, _injury_values(err.incident), {}, 409)
        except InvalidChange as err:
            errors = err.errors
        else:
            flash("Saved the staff injury. The duties were worked out again.", "success")
            return redirect(
                url_for("incidents.detail", incident_id=incident.id, _anchor="duties"), 303
            )
    return _injury_page(incident, dict(request.form.items()), errors, 422)


def _duty_page(
    incident: Incident, values: dict[str, Any], errors: dict[str, list[str]], status: int = 200
) -> Any:
    rules = decisions.addable_rules(incident)
    return render_template(
        "incidents/add_duty.html",
        incident=incident,
        values=values,
        errors=errors,
        rules=[(r, rule_label(r)) for r in rules],
        guidance=RULE_GUIDANCE,
    ), status


@bp.route("/<incident_id>/duties/new", methods=["GET", "POST"])
@login_required
def add_duty(incident_id: str) -> Any:
    incident = services.get_incident(current_user, incident_id)
    if not decisions.may_decide(current_user):
        abort(403)
    if request.method == "GET":
        return _duty_page(incident, {}, {})
    data, errors = load_form(AddDutySchema(), request.form)
    if not errors:
        try:
            added = decisions.add_duty(current_user, incident, **data)
        except decisions.DecisionError as err:
            errors = err.errors
        else:
            flash(f"Added the duty: {rule_label(added.rule)}.", "success")
            return redirect(
                url_for("incidents.detail", incident_id=incident.id, _anchor="duties"), 303
            )
    return _duty_page(incident, dict(request.form.items()), errors, 422)
