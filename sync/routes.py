"""/api/v1: thin JSON routes over the same services the pages use."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from marshmallow import ValidationError

from audits import services as audits
from audits.schemas import AuditInSchema, AuditOutSchema, AuditReceiptSchema
from core.forms import flatten_errors
from incidents import services as incidents
from incidents.schemas import IncidentInSchema, IncidentOutSchema, IncidentReceiptSchema
from sync.http import BadBody, errors_response, message_response, object_body
from sync.services import reference_for

bp = Blueprint("sync", __name__, url_prefix="/api/v1")

MAX_PAGE = 100


@bp.errorhandler(BadBody)
def _bad_body(err: BadBody) -> ResponseReturnValue:
    if err.status == 422:
        return errors_response({"_schema": [err.message]})
    return message_response(err.status, err.message)


def _own_version(record: Any, schema: Any) -> dict[str, Any]:
    if record.author_id != current_user.id:
        return {}
    return {"existing": schema.dump(record)}


@bp.get("/session")
@login_required
def session_info() -> Any:
    """Who is signed in, and the CSRF token every API write must carry."""
    user = current_user
    return {
        "user": {"id": user.id, "email": user.email, "name": user.name, "role": user.role},
        "csrf_token": generate_csrf(),
    }


def _limit() -> int | ResponseReturnValue:
    raw = request.args.get("limit", "50")
    # ASCII digits only: "²".isdigit() is true but int("²") fails.
    if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= MAX_PAGE:
        return errors_response({"limit": [f"limit must be a whole number from 1 to {MAX_PAGE}."]})
    return int(raw)


@bp.post("/incidents")
@login_required
def create_incident() -> ResponseReturnValue:
    body = object_body(request)
    try:
        data = IncidentInSchema().load(body)
    except ValidationError as err:
        return errors_response(flatten_errors(err.messages))
    try:
        receipt = incidents.create_incident(current_user, data)
    except incidents.NotAllowed:
        return message_response(403, "Your role cannot report incidents.")
    except incidents.OutOfScope:
        return message_response(404, "That person is not one of the people you support.")
    except incidents.InvalidIncident as err:
        return errors_response(err.errors)
    except incidents.IdConflict as err:
        return message_response(
            409,
            "An entry with this id was already received with different content.",
            # Only the author may see the stored version; anyone else learns nothing.
            **_own_version(err.existing, IncidentOutSchema()),
        )
    answer = IncidentReceiptSchema().dump(receipt.incident)
    return answer, 201 if receipt.created else 200


@bp.get("/incidents")
@login_required
def list_incidents() -> ResponseReturnValue:
    limit = _limit()
    if not isinstance(limit, int):
        return limit
    try:
        items, next_cursor = incidents.page_of_incidents(
            current_user, limit, request.args.get("cursor") or None
        )
    except incidents.InvalidIncident as err:
        return errors_response(err.errors)
    return {"items": IncidentOutSchema(many=True).dump(items), "next": next_cursor}


@bp.get("/incidents/<incident_id>")
@login_required
def get_incident(incident_id: str) -> ResponseReturnValue:
    try:
        incident = incidents.get_incident(current_user, incident_id)
    except incidents.OutOfScope:
        return message_response(404, "No such incident.")
    record: dict[str, Any] = IncidentOutSchema().dump(incident)
    return record


# --- spot checks ------------------------------------------------------------------


@bp.post("/audits")
@login_required
def create_audit() -> ResponseReturnValue:
    body = object_body(request)
    try:
        data = AuditInSchema().load(body)
    except ValidationError as err:
        return errors_response(flatten_errors(err.messages))
    try:
        receipt = audits.create_audit(current_user, data)
    except audits.NotAllowed:
        return message_response(403, "Your role cannot record spot checks.")
    except audits.OutOfScope:
        return message_response(404, "That person is not one of the people you support.")
    except audits.Invalid as err:
        return errors_response(err.errors)
    except audits.IdConflict as err:
        return message_response(
            409,
            "A spot check with this id was already received with different content.",
            **_own_version(err.existing, AuditOutSchema()),
        )
    answer = AuditReceiptSchema().dump(receipt.audit)
    return answer, 201 if receipt.created else 200


@bp.get("/audits")
@login_required
def list_audits() -> ResponseReturnValue:
    limit = _limit()
    if not isinstance(limit, int):
        return limit
    try:
        items, next_cursor = audits.page_of_audits(
            current_user, limit, request.args.get("cursor") or None
        )
    except audits.Invalid as err:
        return errors_response(err.errors)
    return {"items": AuditOutSchema(many=True).dump(items), "next": next_cursor}


@bp.get("/audits/<audit_id>")
@login_required
def get_audit(audit_id: str) -> ResponseReturnValue:
    try:
        audit = audits.get_audit(current_user, audit_id)
    except audits.OutOfScope:
        return message_response(404, "No such spot check.")
    record: dict[str, Any] = AuditOutSchema().dump(audit)
    return record


# --- reference data ---------------------------------------------------------------


@bp.get("/reference")
@login_required
def reference() -> ResponseReturnValue:
    """Cached by the phone for offline forms; the ETag lets it ask "has anything
    changed?" and get a 304 with no body when nothing has."""
    payload = json.dumps(reference_for(current_user), sort_keys=True, separators=(",", ":"))
    response = Response(payload, mimetype="application/json")
    response.set_etag(hashlib.sha256(payload.encode()).hexdigest()[:32])
    return response.make_conditional(request)
