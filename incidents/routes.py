"""Incident pages: the carer's report form, the review list, a record, triage."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from marshmallow import ValidationError

from core import navigation, scoping
from core.forms import flatten_errors, load_form
from core.models import Role, User, utcnow
from core.web import error_response
from incidents import duties, review
from incidents import services as incidents
from incidents.duties import RULE_GUIDANCE, UK, rule_label
from incidents.models import (
    Category,
    Harm,
    Incident,
    IncidentDecision,
    Kind,
    MedicationError,
    Status,
    label,
)
from incidents.schemas import (
    ChaseSchema,
    DecisionSchema,
    DetailsSchema,
    IncidentFilterSchema,
    TriageSchema,
)

bp = Blueprint("incidents", __name__, url_prefix="/incidents")


def init_app(app: Flask) -> None:
    """Menu, home-page section and template helpers for incidents."""
    navigation.add_menu_link(app, "Incidents", "incidents.index", set(Role), order=20)
    navigation.add_home_section(app, "incidents/_home_duties.html", {Role.MANAGER}, order=10)
    app.jinja_env.globals.update(
        incident_label=label,
        rule_label=rule_label,
        overdue_duties=_overdue_duties,
        offset_label=review.offset_label,
        describe_due=review.describe_due,
        now_utc=utcnow,
    )
    app.jinja_env.filters["uk_iso"] = review.uk_time_from_iso


def _overdue_duties() -> tuple[list[IncidentDecision], int]:
    """For the manager's home page: overdue decisions within their scope."""
    return duties.overdue_decisions(incidents.visible_incidents(current_user), utcnow(), limit=10)


def _choices(values: list[str]) -> list[tuple[str, str]]:
    return [(v, label(v)) for v in values]


CATEGORY_CHOICES = _choices([c.value for c in Category])
HARM_CHOICES = _choices([h.value for h in Harm])
KIND_CHOICES = _choices([k.value for k in Kind])
STATUS_CHOICES = _choices([s.value for s in Status])
MEDICATION_CHOICES = _choices([m.value for m in MedicationError])


def _incident_or_404(incident_id: str) -> Incident:
    try:
        return incidents.get_incident(current_user, incident_id)
    except incidents.OutOfScope:
        abort(404)


def _is_partial() -> bool:
    htmx = request.htmx  # type: ignore[attr-defined]
    return bool(htmx) and not htmx.history_restore_request


# --- the list -----------------------------------------------------------------------


@bp.get("")
@login_required
def index() -> Any:
    user: User = current_user
    # Empty fields of a GET form mean "any".
    raw = {k: v for k, v in request.args.items() if v.strip() != ""}
    errors: dict[str, list[str]] = {}
    try:
        data = IncidentFilterSchema().load(raw)
    except ValidationError as err:
        errors = flatten_errors(err.messages)
        data = {}
    filters = review.IncidentFilters.from_data(data)
    if not review.can_filter(user):
        filters = review.IncidentFilters(page=filters.page)
    page_size = current_app.config["INCIDENTS_PAGE_SIZE"]
    page = (
        review.search(user, filters, page_size)
        if not errors
        else review.IncidentPage(items=[], total=0, page=1, page_size=page_size)
    )
    context = {
        "page": page,
        "filters": filters,
        "values": raw if errors else _filter_values(filters),
        "errors": errors,
        "query": _query_without_page(filters),
    }
    if review.can_filter(user):
        template = "incidents/_results.html" if _is_partial() else "incidents/index.html"
        context.update(
            branches=[(b.code, b.name) for b in scoping.branches_for(user)],
            people=[(p.ref, f"{p.ref} ({p.initials})") for p in scoping.people_for(user)],
            category_choices=CATEGORY_CHOICES,
            harm_choices=HARM_CHOICES,
            kind_choices=KIND_CHOICES,
            status_choices=STATUS_CHOICES,
            sort_choices=list(review.SORTS.items()),
        )
    else:
        template = "incidents/_my_reports.html" if _is_partial() else "incidents/mine.html"
    return render_template(template, **context), 422 if errors else 200


def _filter_values(filters: review.IncidentFilters) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in ("q", "branch", "category", "harm", "status", "kind", "person", "sort"):
        value = getattr(filters, name)
        if value:
            values[name] = value
    for name in ("date_from", "date_to"):
        value = getattr(filters, name)
        if value:
            values[name] = value.isoformat()
    if filters.overdue:
        values["overdue"] = ["true"]
    return values


def _query_without_page(filters: review.IncidentFilters) -> dict[str, Any]:
    query = _filter_values(filters)
    if filters.overdue:
        query["overdue"] = "true"
    if query.get("sort") == "newest":
        query.pop("sort")
    return query


# --- one record ---------------------------------------------------------------------


@bp.get("/<incident_id>")
@login_required
def detail(incident_id: str) -> Any:
    user: User = current_user
    incident = _incident_or_404(incident_id)
    review.mark_seen(user, incident)
    is_reporter_view = user.role == Role.CARER.value
    now = utcnow()
    return render_template(
        "incidents/detail.html",
        incident=incident,
        now=now,
        lateness=review.lateness(incident),
        timeline=review.timeline(incident, for_reporter=is_reporter_view),
        actions=[] if is_reporter_view else review.actions_for(incident),
        decisions=[] if is_reporter_view else incident.decisions,
        notes=incident.notes,
        views=review.views_of(incident)
        if incident.is_safeguarding and not is_reporter_view
        else [],
        guidance=RULE_GUIDANCE,
        can_triage=review.can_triage(user),
        can_decide=duties.may_decide(user),
        can_add_details=review.can_add_details(user),
        can_chase=review.can_chase(user),
        reporter_view=is_reporter_view,
    )


# --- triage -------------------------------------------------------------------------


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
        "status": status,
        "reviewer_id": incident.reviewer_id,
        "feedback": incident.feedback,
        "reason": "",
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
        status_choices=_choices(review.TRIAGE_STATUSES),
        reviewers=[
            (u.id, f"{u.name} ({u.role_enum.label})") for u in review.reviewers_for(incident)
        ],
        **extra,
    ), status


@bp.route("/<incident_id>/triage", methods=["GET", "POST"])
@login_required
def triage(incident_id: str) -> Any:
    incident = _incident_or_404(incident_id)
    if not review.can_triage(current_user):
        abort(403)
    if request.method == "GET":
        return _triage_page(incident, _triage_values(incident), {})
    data, errors = load_form(TriageSchema(), request.form)
    if not errors:
        try:
            review.triage(current_user, incident, **data)
        except review.StaleIncident as err:
            return _conflict(err.incident, attempted=_attempted_triage(data))
        except review.ReviewError as err:
            errors = err.errors
        else:
            flash(f"Saved the triage of {incident.reference}.", "success")
            return redirect(url_for("incidents.detail", incident_id=incident.id), 303)
    return _triage_page(incident, dict(request.form.items()), errors, 422)


def _attempted_triage(data: dict[str, Any]) -> list[tuple[str, str]]:
    shown = []
    for key in ("kind", "category", "medication_error", "harm", "status"):
        if data.get(key):
            shown.append((review.FIELD_LABELS[key], label(data[key])))
    for key in ("reason", "feedback"):
        if data.get(key):
            shown.append((review.FIELD_LABELS[key], data[key]))
    return shown


def _conflict(incident: Incident, attempted: list[tuple[str, str]]) -> Any:
    """409: someone saved first. Show what is there now and what this person tried,
    and a fresh form from the current values: nothing is silently overwritten."""
    return _triage_page(
        incident, _triage_values(incident), {}, 409, conflict=True, attempted=attempted
    )


# --- decisions on duties --------------------------------------------------------------


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


@bp.route("/<incident_id>/decisions/<int:decision_id>", methods=["GET", "POST"])
@login_required
def decision(incident_id: str, decision_id: int) -> Any:
    incident = _incident_or_404(incident_id)
    found = _decision_or_404(incident, decision_id)
    if not duties.may_decide(current_user):
        abort(403)
    if request.method == "GET":
        return _decision_page(incident, found, _decision_values(found), {})
    data, errors = load_form(DecisionSchema(), request.form)
    if not errors:
        try:
            duties.record_decision(current_user, incident, decision_id, **data)
        except duties.StaleDecision as err:
            attempted = [
                ("Decision", label(data["status"])),
                ("Rationale", data["rationale"]),
            ]
            return _decision_page(
                incident,
                err.decision,
                _decision_values(err.decision),
                {},
                409,
                conflict=True,
                attempted=attempted,
            )
        except duties.DecisionError as err:
            errors = err.errors
        else:
            flash(f"Recorded the decision: {rule_label(found.rule)}.", "success")
            return redirect(
                url_for("incidents.detail", incident_id=incident.id, _anchor="duties"), 303
            )
    return _decision_page(incident, found, dict(request.form.items()), errors, 422)


# --- office: missing details, chasing ---------------------------------------------------


def _details_page(
    incident: Incident,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    status: int = 200,
    **extra: Any,
) -> Any:
    people = [
        (p.ref, f"{p.ref} ({p.initials})")
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


@bp.route("/<incident_id>/details", methods=["GET", "POST"])
@login_required
def details(incident_id: str) -> Any:
    incident = _incident_or_404(incident_id)
    if not review.can_add_details(current_user):
        abort(403)
    if request.method == "GET":
        return _details_page(incident, {"version": incident.version}, {})
    schema = DetailsSchema()
    if set(request.form) - set(schema.fields) - {"csrf_token"}:
        # Anything else (harm, category, thresholds, status...) is a clinical field:
        # refused whole, nothing saved.
        return error_response(
            403,
            "This form only adds missing details and notes. What happened, the harm "
            "and the threshold answers are changed by a manager at triage.",
        )
    data, errors = load_form(schema, request.form)
    if not errors:
        try:
            review.add_details(current_user, incident, **data)
        except review.StaleIncident as err:
            return _details_page(
                err.incident,
                {"version": err.incident.version, "note": data.get("note", "")},
                {},
                409,
                conflict=True,
            )
        except review.ReviewError as err:
            errors = err.errors
        else:
            flash("Saved the details.", "success")
            return redirect(url_for("incidents.detail", incident_id=incident.id), 303)
    return _details_page(incident, dict(request.form.items()), errors, 422)


@bp.route("/<incident_id>/chase", methods=["GET", "POST"])
@login_required
def chase(incident_id: str) -> Any:
    incident = _incident_or_404(incident_id)
    if not review.can_chase(current_user):
        abort(403)
    if request.method == "GET":
        return render_template("incidents/chase.html", incident=incident, values={}, errors={})
    data, errors = load_form(ChaseSchema(), request.form)
    if not errors:
        try:
            review.chase_reporter(current_user, incident, **data)
        except review.ReviewError as err:
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
