"""Decisions on duties: a manager records whether a duty applies (a notification,
a safeguarding referral...) and why, with a 409 when another manager was first."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from core.dates import UK, utcnow
from core.forms import load_form
from incidents import decisions, services
from incidents.duties import RULE_GUIDANCE, rule_label
from incidents.models import Incident, IncidentDecision, label
from incidents.routes.blueprint import bp
from incidents.schemas import DecisionSchema


def _decision_or_404(incident: Incident, decision_id: int) -> IncidentDecision:
    decision = next((d for d in incident.decisions if d.id == decision_id), None)
    if decision is None:
        abort(404)
    return decision


def _decision_values(decision: IncidentDecision) -> dict[str, Any]:
    return {
        "version": decision.version,
        "status": decision.status if decision.status != "pending" else None,
        "rationale": decision.rationale,
        "done_at": decision.done_at.astimezone(UK).strftime("%Y-%m-%dT%H:%M")
        if decision.done_at
        else "",
        "reference": decision.reference,
    }


def _decision_page(
    incident: Incident,
    decision: IncidentDecision,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    status: int = 200,
    **extra: Any,
) -> Any:
    return render_template(
        "incidents/decision.html",
        incident=incident,
        decision=decision,
        values=values,
        errors=errors,
        guidance=RULE_GUIDANCE.get(decision.rule, ""),
        now=utcnow(),
        **extra,
    ), status


def _decision_conflict(incident: Incident, current: IncidentDecision, data: dict[str, Any]) -> Any:
    """409: another manager recorded this decision first. Show theirs and what this
    person tried, with a fresh form from the decision as it now stands."""
    attempted = [
        ("Decision", label(data["status"])),
        ("Rationale", data["rationale"]),
    ]
    return _decision_page(
        incident,
        current,
        _decision_values(current),
        {},
        409,
        conflict=True,
        attempted=attempted,
    )


@bp.route("/<incident_id>/decisions/<int:decision_id>", methods=["GET", "POST"])
@login_required
def decision(incident_id: str, decision_id: int) -> Any:
    incident = services.get_incident(current_user, incident_id)
    found = _decision_or_404(incident, decision_id)
    if not decisions.may_decide(current_user):
        abort(403)
    if request.method == "GET":
        return _decision_page(incident, found, _decision_values(found), {})
    data, errors = load_form(DecisionSchema(), request.form)
    if not errors:
        try:
            decisions.record_decision(current_user, incident, decision_id, **data)
        except decisions.StaleDecision as err:
            return _decision_conflict(incident, err.decision, data)
        except decisions.DecisionError as err:
            errors = err.errors
        else:
            flash(f"Recorded the decision: {rule_label(found.rule)}.", "success")
            return redirect(
                url_for("incidents.detail", incident_id=incident.id, _anchor="duties"), 303
            )
    return _decision_page(incident, found, dict(request.form.items()), errors, 422)
