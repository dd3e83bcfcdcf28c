"""The office's work on a record: adding missing details and notes (never the
clinical answers), and chasing the reporter with a question."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from core import scoping
from core.choices import person_choice
from core.forms import load_form
from core.web import error_response
from incidents import office, permissions, services
from incidents.errors import InvalidChange, StaleIncident
from incidents.models import Incident
from incidents.routes.blueprint import bp
from incidents.schemas import ChaseSchema, DetailsSchema


def _details_page(
    incident: Incident,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    status: int = 200,
    **extra: Any,
) -> Any:
    people = [
        person_choice(p)
        for p in scoping.people_for(current_user)
        if p.branch_id == incident.branch_id
    ]
    return render_template(
        "incidents/details.html",
        incident=incident,
        values=values,
        errors=errors,
        people=people,
        **extra,
    ), status


ONLY_DETAILS = (
    "This form only adds missing details and notes. The category, the harm "
    "and the threshold answers are changed by a manager at triage; what the "
    "reporter wrote stays as they wrote it."
)


def _beyond_details(schema: DetailsSchema, form: MultiDict[str, str]) -> bool:
    """Whether the form sends anything but details and a note. Anything else (harm,
    category, thresholds, status...) is a clinical field: refused whole, nothing saved."""
    return bool(set(form) - set(schema.fields) - {"csrf_token"})


def _details_conflict(current: Incident, data: dict[str, Any]) -> Any:
    """409: the record changed since the form was opened; the note typed is kept."""
    return _details_page(
        current,
        {"version": current.version, "note": data.get("note", "")},
        {},
        409,
        conflict=True,
    )


@bp.route("/<incident_id>/details", methods=["GET", "POST"])
@login_required
def details(incident_id: str) -> Any:
    incident = services.get_incident(current_user, incident_id)
    if not permissions.can_add_details(current_user):
        abort(403)
    if request.method == "GET":
        return _details_page(incident, {"version": incident.version}, {})
    schema = DetailsSchema()
    if _beyond_details(schema, request.form):
        return error_response(403, ONLY_DETAILS)
    data, errors = load_form(schema, request.form)
    if not errors:
        try:
            office.add_details(current_user, incident, **data)
        except StaleIncident as err:
            return _details_conflict(err.incident, data)
        except InvalidChange as err:
            errors = err.errors
        else:
            flash("Saved the details.", "success")
            return redirect(url_for("incidents.detail", incident_id=incident.id), 303)
    return _details_page(incident, dict(request.form.items()), errors, 422)


@bp.route("/<incident_id>/chase", methods=["GET", "POST"])
@login_required
def chase(incident_id: str) -> Any:
    incident = services.get_incident(current_user, incident_id)
    if not permissions.can_chase(current_user):
        abort(403)
    if request.method == "GET":
        return render_template("incidents/chase.html", incident=incident, values={}, errors={})
    data, errors = load_form(ChaseSchema(), request.form)
    if not errors:
        try:
            office.chase_reporter(current_user, incident, **data)
        except InvalidChange as err:
            errors = err.errors
        else:
            flash(
                f"{incident.author.name} will see your question on their list of reports.",
                "success",
            )
            return redirect(url_for("incidents.detail", incident_id=incident.id), 303)
    return render_template(
        "incidents/chase.html", incident=incident, values=dict(request.form.items()), errors=errors
    ), 422
