"""Incident pages: the carer's report form, the review list, a record, triage."""

from __future__ import annotations

import uuid
from datetime import datetime
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
from werkzeug.datastructures import MultiDict
from werkzeug.routing import BuildError

from core import navigation, scoping
from core.choices import branch_code_choice, person_choice, staff_choice
from core.dates import UK, utcnow
from core.errors import IdConflict, Invalid, OutOfScope
from core.forms import flatten_errors, load_form
from core.htmx import wants_partial
from core.models import Role, Team, User
from core.permissions import role_required
from core.web import error_response
from incidents import (
    decisions,
    forms,
    office,
    permissions,
    record,
    search,
    services,
    timeline,
)
from incidents import triage as triage_rules
from incidents.duties import RULE_GUIDANCE, rule_label
from incidents.errors import InvalidChange, StaleIncident
from incidents.models import (
    FAMILY_CONTACT,
    INFORMED_METHOD,
    INFORMED_WHO,
    YES_NO_UNSURE,
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
    IncidentInSchema,
    TriageSchema,
)

bp = Blueprint("incidents", __name__, url_prefix="/incidents")

REPORTERS = (Role.CARER, Role.SUPERVISOR, Role.MANAGER)

# --- the carer's report -------------------------------------------------------------

PERSON_NOT_IN_SCOPE = "Choose one of the people you support from the list."
NEW_ID = "This form had lost its reference number and has been given a new one: check your answers and send it again."
ALREADY_SENT = (
    "This report was already sent{reference}, so these answers were not added to it. "
    "If they are about something new, send them as a new report; if they correct the "
    "one already sent, tell your manager."
)


def _choices(values: list[str]) -> list[tuple[str, str]]:
    return [(value, label(value)) for value in values]


def _form_context(values: dict[str, str], errors: dict[str, list[str]]) -> dict[str, Any]:
    people = scoping.people_for(current_user)
    branches = scoping.branches_for(current_user)
    return {
        "values": values,
        "errors": errors,
        "rows": forms.row_count(values),
        "people": people,
        "people_by_branch": _group_by_branch(people),
        "branches": branches,
        "branch_options": [branch_code_choice(b) for b in branches],
        "kinds": [
            (Kind.INCIDENT.value, "Incident", "Something happened"),
            (Kind.NEAR_MISS.value, "Near miss", "Caught in time, no harm"),
        ],
        "categories": _choices([c.value for c in Category]),
        "medication_errors": _choices([m.value for m in MedicationError]),
        "harms": [
            (Harm.NONE.value, "No harm", "Including near misses."),
            (Harm.LOW.value, "Low", "Needed checking or minor first aid."),
            (Harm.MODERATE.value, "Moderate", "Needed more treatment; not permanent."),
            (Harm.SEVERE.value, "Severe", "Permanent harm."),
            (Harm.DEATH.value, "Death", "The person died."),
        ],
        "informed_who": _choices(INFORMED_WHO),
        "informed_methods": _choices(INFORMED_METHOD),
        "yes_no_unsure": _choices(YES_NO_UNSURE),
        "family_contact": _choices(FAMILY_CONTACT),
    }


def _group_by_branch(people: list[Any]) -> list[tuple[str, list[Any]]]:
    groups: dict[str, list[Any]] = {}
    for person in people:
        groups.setdefault(person.branch.name, []).append(person)
    return list(groups.items())


def _form(values: dict[str, str], errors: dict[str, list[str]], status: int = 200) -> Any:
    """The form: the whole page, or just the form for an htmx swap."""
    template = "incidents/_form.html" if wants_partial() else "incidents/new.html"
    return render_template(template, **_form_context(values, errors)), status


def _optional_url(endpoint: str) -> str | None:
    """A link to a page another part of Candour may provide (None until it does)."""
    try:
        return url_for(endpoint)
    except BuildError:
        return None


@bp.get("/new")
@role_required(*REPORTERS)
def new() -> Any:
    # A new id on every load: it names this one report, however often it is sent.
    return _form(forms.blank_values(utcnow(), str(uuid.uuid4())), {})


def _payload(form: MultiDict[str, str]) -> dict[str, Any]:
    """The form as the API's JSON. Sent again (a double tap, a retry): the entry was
    made when it was first sent, so a form without a device time gets the same time
    again and counts as a replay."""
    first = services.own_incident(current_user, form.get("entry_id", ""))
    made = first.reported_at if first is not None else utcnow()
    return forms.form_to_payload(form, made)


def _refused(values: dict[str, str], messages: Any) -> Any:
    """422: the schema refused the answers."""
    errors = forms.form_errors(messages)
    if "entry_id" in errors:
        # No usable id: this form never reached the database, so it may have a new one.
        values["entry_id"] = str(uuid.uuid4())
        errors["entry_id"] = [NEW_ID]
    if "reported_at" in errors:
        # The phone's clock was wrong: take its time again once it is put right.
        values["reported_at"] = ""
    return _form(values, errors, 422)


def _already_sent(values: dict[str, str], existing: Incident) -> Any:
    """409: this id was sent before with other answers. Never reveal another
    person's record: only the author hears its reference."""
    mine = existing.author_id == current_user.id
    reference = f" as {existing.reference}" if mine else ""
    values["entry_id"] = str(uuid.uuid4())
    return _form(values, {"entry_id": [ALREADY_SENT.format(reference=reference)]}, 409)


@bp.post("/new")
@role_required(*REPORTERS)
def create() -> Any:
    form = request.form
    values = forms.shown_values(form)
    try:
        data = IncidentInSchema().load(_payload(form))
    except ValidationError as err:
        return _refused(values, err.messages)
    try:
        receipt = services.create_incident(current_user, data)
    except OutOfScope:
        return _form(values, {"person_ref": [PERSON_NOT_IN_SCOPE]}, 422)
    except Invalid as err:
        return _form(values, err.errors, 422)
    except IdConflict as err:
        return _already_sent(values, err.existing)
    if wants_partial():
        status = 201 if receipt.created else 200
        return render_template("incidents/_sent.html", **_sent_context(receipt.incident)), status
    return redirect(url_for("incidents.sent", incident_id=receipt.incident.id), 303)


@bp.get("/<incident_id>/sent")
@role_required(*REPORTERS)
def sent(incident_id: str) -> Any:
    incident = services.get_incident(current_user, incident_id)
    return render_template("incidents/sent.html", **_sent_context(incident))


def _sent_context(incident: Incident) -> dict[str, Any]:
    return {
        "incident": incident,
        "label": label,
        "informed": [
            {**row, "at": datetime.fromisoformat(row["at"])} for row in incident.people_informed
        ],
        "my_reports": _optional_url("incidents.index"),
    }


# --- reviewing: the list, a record, triage, duties, office work ---------------------


def init_app(app: Flask) -> None:
    """The pages, their menu links and home-page parts, and template helpers."""
    app.register_blueprint(bp)
    # The first thing a carer sees: reporting is the job this app exists for.
    navigation.add_home_button(
        app, "Report an incident or near miss", "incidents.new", set(REPORTERS), order=0
    )
    navigation.add_menu_link(app, "Report", "incidents.new", set(REPORTERS), order=10)
    navigation.add_menu_link(app, "Incidents", "incidents.index", set(Role), order=20)
    navigation.add_section(app, "home", "incidents/_home_duties.html", {Role.MANAGER}, order=10)
    app.jinja_env.globals.update(
        incident_label=label,
        rule_label=rule_label,
        overdue_duties=_overdue_duties,
        offset_label=record.offset_label,
        describe_due=record.describe_due,
        now_utc=utcnow,
    )
    app.jinja_env.filters["uk_iso"] = record.uk_time_from_iso


def _overdue_duties() -> tuple[list[IncidentDecision], int]:
    """For the manager's home page: overdue decisions within their scope."""
    return decisions.overdue_decisions(services.visible_incidents(current_user), utcnow(), limit=10)


CATEGORY_CHOICES = _choices([c.value for c in Category])
HARM_CHOICES = _choices([h.value for h in Harm])
KIND_CHOICES = _choices([k.value for k in Kind])
STATUS_CHOICES = _choices([s.value for s in Status])
MEDICATION_CHOICES = _choices([m.value for m in MedicationError])


# --- the list -----------------------------------------------------------------------


def _filter_data(raw: dict[str, str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The list's filters as the schema reads them, or none and why."""
    try:
        return IncidentFilterSchema().load(raw), {}
    except ValidationError as err:
        return {}, flatten_errors(err.messages)


def _list_context(raw: dict[str, str], found: search.IncidentList) -> dict[str, Any]:
    return {
        "page": found.page,
        "filters": found.filters,
        "values": raw if found.errors else _filter_values(found.filters),
        "errors": found.errors,
        "query": _query_without_page(found.filters),
        "partial": wants_partial(),
    }


def _filter_choices(user: User, teams: list[Team]) -> dict[str, Any]:
    """What the review list's filters offer to choose from."""
    return {
        "branches": [(b.code, b.name) for b in scoping.branches_for(user)],
        "people": [person_choice(p) for p in scoping.people_for(user)],
        "teams": [(t.id, t.label if t.active else f"{t.label} (switched off)") for t in teams],
        "category_choices": CATEGORY_CHOICES,
        "harm_choices": HARM_CHOICES,
        "kind_choices": KIND_CHOICES,
        "status_choices": STATUS_CHOICES,
        "sort_choices": list(search.SORTS.items()),
    }


@bp.get("")
@login_required
def index() -> Any:
    user: User = current_user
    # Empty fields of a GET form mean "any".
    raw = {k: v for k, v in request.args.items() if v.strip() != ""}
    data, errors = _filter_data(raw)
    found = search.incident_list(user, data, errors, current_app.config["INCIDENTS_PAGE_SIZE"])
    context = _list_context(raw, found)
    if permissions.can_filter(user):
        template = "incidents/_results.html" if wants_partial() else "incidents/index.html"
        context.update(_filter_choices(user, found.teams))
    else:
        template = "incidents/_my_reports.html" if wants_partial() else "incidents/mine.html"
    return render_template(template, **context), 422 if found.errors else 200


def _filter_values(filters: search.IncidentFilters) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in ("q", "branch", "category", "harm", "status", "kind", "person", "team", "sort"):
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


def _query_without_page(filters: search.IncidentFilters) -> dict[str, Any]:
    query = _filter_values(filters)
    if filters.overdue:
        query["overdue"] = "true"
    if query.get("sort") == "newest":
        query.pop("sort")
    return query


# --- one record ---------------------------------------------------------------------


def _record_context(user: User, incident: Incident) -> dict[str, Any]:
    """One record as its reader may see it: a reporter sees their own report and
    its history for them, without the duties or who looked at it."""
    is_reporter_view = permissions.sees_as_reporter(user)
    now = utcnow()
    return {
        "incident": incident,
        "now": now,
        "lateness": record.lateness(incident),
        "timeline": timeline.timeline(incident, for_reporter=is_reporter_view),
        "decisions": [] if is_reporter_view else incident.decisions,
        "notes": incident.notes,
        "views": record.views_of(incident)
        if incident.may_be_safeguarding and not is_reporter_view
        else [],
        "guidance": RULE_GUIDANCE,
        "can_triage": permissions.can_triage(user),
        "can_decide": decisions.may_decide(user),
        "can_add_details": permissions.can_add_details(user),
        "can_chase": permissions.can_chase(user),
        "reporter_view": is_reporter_view,
    }


@bp.get("/<incident_id>")
@login_required
def detail(incident_id: str) -> Any:
    user: User = current_user
    incident = services.get_incident(user, incident_id)
    record.mark_seen(user, incident)
    return render_template("incidents/detail.html", **_record_context(user, incident))


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
        status_choices=_choices(triage_rules.TRIAGE_STATUSES),
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
    for key in ("kind", "category", "medication_error", "harm", "status"):
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


# --- office: missing details, chasing ---------------------------------------------------


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
    "This form only adds missing details and notes. What happened, the harm "
    "and the threshold answers are changed by a manager at triage."
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
