"""The carer's report: the form, sending it (once, however often it is sent) and
the page that says it was sent."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict
from werkzeug.routing import BuildError

from core import scoping
from core.choices import branch_code_choice
from core.dates import utcnow
from core.errors import IdConflict, Invalid, OutOfScope
from core.htmx import wants_partial
from core.permissions import role_required
from incidents import attachments, forms, offline_checks, services
from incidents.body_map_views import body_map_context
from incidents.models import (
    FAMILY_CONTACT,
    INFORMED_METHOD,
    INFORMED_WHO,
    PLACES,
    YES_NO_UNSURE,
    Category,
    Harm,
    Incident,
    Kind,
    MedicationError,
    informed_label,
    label,
    place_label,
)
from incidents.riddor import REPORTABLE
from incidents.routes._common import REPORTERS, label_choices
from incidents.routes.blueprint import bp
from incidents.schemas import IncidentInSchema
from incidents.services import IncidentReceipt

PERSON_NOT_IN_SCOPE = "Choose one of the people you support from the list."
NEW_ID = "This form had lost its reference number and has been given a new one: check your answers and send it again."
ALREADY_SENT = (
    "This report was already sent{reference}, so these answers were not added to it. "
    "If they are about something new, send them as a new report; if they correct the "
    "one already sent, tell your manager."
)


def _form_context(values: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    people = scoping.people_for(current_user)
    branches = scoping.branch_choices(current_user)
    return {
        "values": values,
        "errors": errors,
        "rows": forms.row_count(values),
        **body_map_context(values),
        "people": people,
        "people_by_branch": _group_by_branch(people),
        "branches": branches,
        "branch_options": [branch_code_choice(b) for b in branches],
        "kinds": [
            (Kind.INCIDENT.value, "Incident", "Something happened"),
            (Kind.NEAR_MISS.value, "Near miss", "Caught in time, no harm"),
        ],
        "categories": label_choices([c.value for c in Category]),
        "medication_errors": label_choices([m.value for m in MedicationError]),
        "harms": [
            (Harm.NONE.value, "No harm", "Including near misses."),
            (Harm.LOW.value, "Low", "Needed checking or minor first aid."),
            (Harm.MODERATE.value, "Moderate", "Needed more treatment; not permanent."),
            (Harm.SEVERE.value, "Severe", "Permanent harm."),
            (Harm.DEATH.value, "Death", "The person died."),
        ],
        "informed_who": [(who, informed_label(who)) for who in INFORMED_WHO],
        "informed_methods": label_choices(INFORMED_METHOD),
        "yes_no_unsure": label_choices(YES_NO_UNSURE),
        "family_contact": label_choices(FAMILY_CONTACT),
        "offline_rules": offline_checks.incident_rules(),
        "places": [(place, place_label(place)) for place in PLACES],
        "staff": [(str(u.id), u.name) for u in scoping.staff_for(current_user)],
        "reportable": list(REPORTABLE.items()),
    }


def _group_by_branch(people: list[Any]) -> list[tuple[str, list[Any]]]:
    groups: dict[str, list[Any]] = {}
    for person in people:
        groups.setdefault(person.branch.name, []).append(person)
    return list(groups.items())


def _form(values: dict[str, Any], errors: dict[str, list[str]], status: int = 200) -> Any:
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


def _refused(values: dict[str, Any], messages: Any) -> Any:
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


def _already_sent(values: dict[str, Any], existing: Incident) -> Any:
    """409: this id was sent before with other answers. Never reveal another
    person's record: only the author hears its reference."""
    mine = existing.author_id == current_user.id
    reference = f" as {existing.reference}" if mine else ""
    values["entry_id"] = str(uuid.uuid4())
    return _form(values, {"entry_id": [ALREADY_SENT.format(reference=reference)]}, 409)


def _form_photos() -> tuple[list[bytes], dict[str, list[str]]]:
    """Photos sent with the form itself (no JavaScript: with it, photos go from
    the phone's outbox after the report), and the error when nobody is named as
    agreeing to them: then nothing is saved."""
    photos = [f.read() for f in request.files.getlist("photos") if f.filename]
    if photos and not request.form.get("photo_consent_by", "").strip():
        return photos, {"photo_consent_by": [attachments.MESSAGES["consent_by"]]}
    return photos, {}


@bp.post("/new")
@role_required(*REPORTERS)
def create() -> Any:
    form = request.form
    values = forms.shown_values(form)
    if form.get("add_mark") == "1":  # "Add another mark" on a page with no script
        return _form(values, {})
    photos, photo_errors = _form_photos()
    if photo_errors:
        return _form(values, photo_errors, 422)
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
    return _sent_with_photos(receipt, photos, form.get("photo_consent_by", ""))


def _sent_with_photos(receipt: IncidentReceipt, photos: list[bytes], consent: str) -> Any:
    """The photos sent with the form kept (any refused named on the next page), then
    the "sent" answer: the partial for htmx, a redirect for a plain form."""
    for problem in attachments.add_form_photos(current_user, receipt.incident.id, photos, consent):
        flash(problem, "warning")
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
        "informed_label": informed_label,
        "place_label": place_label,
        "informed": [
            {**row, "at": datetime.fromisoformat(row["at"])} for row in incident.people_informed
        ],
        "my_reports": _optional_url("incidents.index"),
    }
