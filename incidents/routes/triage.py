"""Triage: a manager's reading of an incident (kind, category, harm, status,
reviewer), with a 409 when someone else saved first."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from core.choices import staff_choice
from core.forms import load_form
from incidents import permissions, services, timeline
from incidents import triage as triage_rules
from incidents.errors import InvalidChange, StaleIncident
from incidents.models import FAMILY_CONTACT, YES_NO_UNSURE, Incident, Status, label
from incidents.routes._common import (
    CATEGORY_CHOICES,
    HARM_CHOICES,
    KIND_CHOICES,
    MEDICATION_CHOICES,
    label_choices,
)
from incidents.routes.blueprint import bp
from incidents.schemas import TriageSchema


def _triage_values(incident: Incident) -> dict[str, Any]:
    status = incident.status
    if status == Status.SUBMITTED.value:
        status = Status.TRIAGED.value
    return {
        "version": incident.version,
        "kind": incident.kind,
        "category": incident.category,
        "medication_error": incident.medication_error,
        "harm": incident.harm,
        "safeguarding": incident.safeguarding,
        "clinical_escalation": incident.clinical_escalation,
        "family_contact": incident.family_contact,
        "police_involved": "true" if incident.police_involved else "",
        "status": status,
        "reviewer_id": incident.reviewer_id,
        "feedback": incident.feedback,
        "reason": "",
        "no_review_reason": incident.no_review_reason or "",
    }


def _triage_page(
    incident: Incident,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    status: int = 200,
    **extra: Any,
) -> Any:
    return render_template(
        "incidents/triage.html",
        incident=incident,
        values=values,
        errors=errors,
        kind_choices=KIND_CHOICES,
        category_choices=CATEGORY_CHOICES,
        harm_choices=HARM_CHOICES,
        medication_choices=MEDICATION_CHOICES,
        status_choices=label_choices(triage_rules.TRIAGE_STATUSES),
        yes_no_unsure=label_choices(YES_NO_UNSURE),
        family_choices=label_choices(FAMILY_CONTACT),
        reviewers=[staff_choice(u) for u in triage_rules.reviewers_for(incident)],
        **extra,
    ), status


@bp.route("/<incident_id>/triage", methods=["GET", "POST"])
@login_required
def triage(incident_id: str) -> Any:
    incident = services.get_incident(current_user, incident_id)
    if not permissions.can_triage(current_user):
        abort(403)
    if request.method == "GET":
        return _triage_page(incident, _triage_values(incident), {})
    data, errors = load_form(TriageSchema(), request.form)
    if not errors:
        try:
            triage_rules.triage(current_user, incident, **data)
        except StaleIncident as err:
            return _conflict(err.incident, attempted=_attempted_triage(data))
        except InvalidChange as err:
            errors = err.errors
        else:
            flash(f"Saved the triage of {incident.reference}.", "success")
            return redirect(url_for("incidents.detail", incident_id=incident.id), 303)
    return _triage_page(incident, dict(request.form.items()), errors, 422)


def _attempted_triage(data: dict[str, Any]) -> list[tuple[str, str]]:
    shown = []
    for key in (
        "kind",
        "category",
        "medication_error",
        "harm",
        "safeguarding",
        "clinical_escalation",
        "family_contact",
        "status",
    ):
        if data.get(key):
            shown.append((timeline.FIELD_LABELS[key], label(data[key])))
    for key in ("reason", "feedback"):
        if data.get(key):
            shown.append((timeline.FIELD_LABELS[key], data[key]))
    return shown


def _conflict(incident: Incident, attempted: list[tuple[str, str]]) -> Any:
    """409: someone saved first. Show what is there now and what this person tried,
    and a fresh form from the current values: nothing is silently overwritten."""
    return _triage_page(
        incident, _triage_values(incident), {}, 409, conflict=True, attempted=attempted
    )
