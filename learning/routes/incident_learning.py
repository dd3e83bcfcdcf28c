"""An incident's learning (its reviews and actions), and closing the incident."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from actions import due
from core.dates import uk_today
from core.errors import Invalid, Stale
from core.forms import load_form
from core.models import Role
from core.permissions import role_required
from incidents import services as incidents
from incidents.models import label
from learning import closing
from learning import incident_learning as incident_learning_rules
from learning.models import ReviewMethod
from learning.routes._common import STALE, soon_days
from learning.routes.blueprint import bp
from learning.schemas import CloseIncidentSchema


def _incident_page(
    incident_id: str,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    incident = incidents.get_incident(current_user, incident_id)
    return render_template(
        "learning/incident.html",
        learning=incident_learning_rules.incident_learning(current_user, incident),
        incident=incident,
        methods=list(ReviewMethod),
        errors=errors or {},
        values=values or {"version": incident.version},
        label=label,
        today=uk_today(),
        soon=soon_days(),
        due_state=due.due_state,
    ), status


@bp.get("/incidents/<incident_id>/learning")
@role_required(Role.SUPERVISOR, Role.MANAGER, Role.OFFICE)
def incident_learning(incident_id: str) -> Any:
    return _incident_page(incident_id)


@bp.post("/incidents/<incident_id>/close")
@role_required(Role.MANAGER)
def incident_close(incident_id: str) -> Any:
    incident = incidents.incident_in_scope(current_user, incident_id)
    data, errors = load_form(CloseIncidentSchema(), request.form)
    if not errors:
        try:
            closing.close_incident(
                current_user,
                incident,
                data.get("no_review_reason"),
                data.get("feedback"),
                data.get("version"),
            )
        except Invalid as err:
            errors = err.errors
        except Stale:
            errors = {"_schema": [STALE]}
        else:
            flash(f"{incident.reference} is closed.", "success")
            return redirect(url_for("learning.incident_learning", incident_id=incident.id))
    return _incident_page(incident_id, errors, {**data, "version": incident.version}, 422)
